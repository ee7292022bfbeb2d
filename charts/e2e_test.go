package charts_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tuskdata/tusk/internal/blob"
	blobopen "github.com/tuskdata/tusk/internal/blob/open"
	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/kubetest"
	"github.com/tuskdata/tusk/internal/kubetest/node"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// The end-to-end test's release, and its pipeline: each datum copies its
// one input file to the output under the input's name and the pod's, so
// that a datum whose output landed twice (from two pods) shows as two
// files, and sleeps so that faults hit datums in hand.
const (
	release    = "e2e"
	fullname   = "e2e-tusk"
	e2ePipe    = "copy"
	e2eDatums  = 20
	serverPort = 1650
	// The workers' image: built here, never pulled, although :latest
	// is pulled Always, as the node agent runs a local image as it is.
	workerImage = "tusk-test/busybox:latest"
	datumCmd    = `cat $in > /pfs/out/$(basename $in)-$(hostname); sleep 0.5`
)

// TestEndToEnd installs the chart on a real control plane (kubetest) whose
// pods run on the local Docker engine (a node agent): two servers, from
// an image of this tree, sharing a fresh database of the host's
// PostgreSQL and a fresh prefix of its S3 bucket. It runs an autoscaling
// pipeline on the servers' kube runner as a Deployment of two workers,
// and checks each job's output through the faults a cluster sees: a
// worker's container killed mid-job, the leading server's pod deleted
// mid-job, and workers scaled to none between jobs and back.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("a Kubernetes control plane and containers; skipped with -short")
	}
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	s3url := testenv.Require(t, "s3", "TUSK_TEST_S3")
	cp := kubetest.Start(t)
	e := &e2e{t: t, cp: cp, ns: cp.Namespace}
	e.connect = e.podsClient
	e.image = buildImage(t)
	nd := node.Start(t, cp.Client)
	t.Cleanup(func() {
		if t.Failed() {
			e.logPods(nd)
		}
	})
	// Pods reach the host, and the API server, at host.docker.internal,
	// the node network's gateway.
	dsn := proxiedURL(t, testenv.PostgresDatabase(t), nd.Gateway)
	store := e.bucketPrefix(s3url, nd.Gateway)
	svc := startService(t, cp.Client, e.ns, "app.kubernetes.io/component=server", net.JoinHostPort(nd.Gateway, "0"), serverPort)
	_, svcPort, _ := net.SplitHostPort(svc)

	values := map[string]any{
		"replicas": 2,
		"image":    map[string]any{"repository": strings.Split(e.image, ":")[0], "tag": strings.Split(e.image, ":")[1], "pullPolicy": "Never"},
		"postgres": map[string]any{"dsn": dsn},
		"s3": map[string]any{"url": store, "accessKeyID": os.Getenv("AWS_ACCESS_KEY_ID"),
			"secretAccessKey": os.Getenv("AWS_SECRET_ACCESS_KEY")},
		"server": map[string]any{
			"datumLease":  "6s",
			"serverNames": []string{"host.docker.internal"},
			// Without cluster DNS and kube-proxy, workers reach the
			// servers through the test's stand-in for the Service.
			"extraArgs": []string{"--kube-server-address=https://host.docker.internal:" + svcPort},
		},
	}
	manifests := e.template(values)
	e.kubectl(manifests, "apply", "--dry-run=server", "-f", "-")
	e.kubectl(manifests, "apply", "-f", "-")
	e.waitServers(2)
	e.login()

	ctx := t.Context()
	if _, err := e.api().CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	e.commit(0)
	created := e.createPipeline()
	e.checkWorkers(nd.Name)
	firstDatum, toSuccess := e.firstJob(created)
	t.Logf("kube runner: create pipeline → first datum running: %.1f s; create pipeline → SUCCESS of %d datums: %.1f s",
		firstDatum.Seconds(), e2eDatums, toSuccess.Seconds())

	var kubeJob time.Duration
	t.Run("scale to zero and back", func(t *testing.T) {
		defer e.use(t)()
		before := e.deployments()
		if len(before) != 1 {
			t.Fatalf("%d worker Deployments, want 1", len(before))
		}
		testenv.Eventually(t, 2*time.Minute, "the Deployment at zero replicas while the pipeline has no job", func() bool {
			ds := e.deployments()
			return len(ds) == 1 && ds[0].UID == before[0].UID && *ds[0].Spec.Replicas == 0 && len(e.workerPods()) == 0
		})
		c := e.commit(1)
		j := e.wait(c.ID)
		if ds := e.deployments(); len(ds) != 1 || ds[0].UID != before[0].UID {
			t.Errorf("after the job: worker Deployments %v, want the same one, scaled up and down", ds)
		}
		kubeJob = j.Finished.Sub(c.Started)
		t.Logf("kube runner: commit → SUCCESS of %d datums, from no workers: %.1f s", e2eDatums, kubeJob.Seconds())
		e.check(c.ID)
	})
	t.Run("worker killed", func(t *testing.T) {
		defer e.use(t)()
		c := e.commit(2)
		e.waitProcessed(c.ID, 4)
		pods := e.workerPods()
		if len(pods) == 0 {
			t.Fatal("no worker pods mid-job")
		}
		victim := pods[0]
		ids := strings.Fields(docker(t, "ps", "-q", "--filter", "label=tusk.kubenode.pod="+e.ns+"/"+victim.Name,
			"--filter", "label=tusk.kubenode.container="+victim.Spec.Containers[0].Name))
		if len(ids) != 1 {
			t.Fatalf("worker pod %s has %d running worker containers, want 1", victim.Name, len(ids))
		}
		docker(t, "kill", ids[0])
		j := e.wait(c.ID)
		e.check(c.ID)
		retried := 0
		err := e.api().ListDatums(t.Context(), e2ePipe, c.ID, "", func(d tusk.DatumInfo) error {
			if d.Attempts > 1 {
				retried++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("worker %s's container killed; %d datums retried; commit → SUCCESS %.1f s", victim.Name, retried, j.Finished.Sub(c.Started).Seconds())
	})
	t.Run("leader deleted", func(t *testing.T) {
		defer e.use(t)()
		c := e.commit(3)
		e.waitProcessed(c.ID, 4)
		leader := e.leader("")
		at := time.Now()
		if err := cp.Client.CoreV1().Pods(e.ns).Delete(t.Context(), leader, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		next := e.leader(leader)
		t.Logf("leader %s deleted; %s led after %.1f s", leader, next, time.Since(at).Seconds())
		j := e.wait(c.ID)
		e.check(c.ID)
		t.Logf("the job ended %.1f s after the leader's deletion", j.Finished.Sub(at).Seconds())
	})
	t.Run("docker runner, for comparison", func(t *testing.T) {
		d := dockerBaseline(t, s3url)
		firstDatum, toSuccess := d.firstJob(d.createPipeline())
		t.Logf("docker runner: create pipeline → first datum running: %.1f s; create pipeline → SUCCESS of %d datums: %.1f s",
			firstDatum.Seconds(), e2eDatums, toSuccess.Seconds())
		testenv.Eventually(t, 2*time.Minute, "the pipeline stands by", func() bool {
			p, err := d.api().InspectPipeline(t.Context(), e2ePipe)
			return err == nil && p.State == tusk.PipelineStandby
		})
		c := d.commit(1)
		j := d.wait(c.ID)
		d.check(c.ID)
		dockerJob := j.Finished.Sub(c.Started)
		t.Logf("docker runner: commit → SUCCESS of %d datums, from no workers: %.1f s; the kube runner's was %.1f s (%.2f×)",
			e2eDatums, dockerJob.Seconds(), kubeJob.Seconds(), kubeJob.Seconds()/dockerJob.Seconds())
	})
}

// dockerBaseline starts one `tusk up --runner docker` on the host, on a
// fresh database and bucket prefix of its own, with the repo "in" and
// job 0's inputs committed.
func dockerBaseline(t *testing.T, s3url string) *e2e {
	bin, cleanup, err := testenv.BuildBinary()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	d := &e2e{t: t, ns: strings.ToLower(t.Name()[:12]) + fmt.Sprintf("-%08x", rand.Uint32())}
	u := tusktest.StartUp(t, bin, "--runner", "docker", "--metadata", testenv.PostgresDatabase(t), "--storage", d.bucketOnHost(s3url))
	cl, err := client.New(u.Addr, client.WithToken(u.Token))
	if err != nil {
		t.Fatal(err)
	}
	d.connect = func() *client.Client { return cl }
	if _, err := cl.CreateRepo(t.Context(), "in", ""); err != nil {
		t.Fatal(err)
	}
	d.commit(0)
	return d
}

// createPipeline creates the autoscaling pipeline of two workers and
// returns when.
func (e *e2e) createPipeline() time.Time {
	spec, _ := json.Marshal(map[string]any{
		"pipeline":         map[string]string{"name": e2ePipe},
		"input":            map[string]any{"pfs": map[string]string{"name": "in", "repo": "in", "glob": "/*"}},
		"transform":        map[string]any{"image": workerImage, "cmd": []string{"sh", "-c", datumCmd}},
		"parallelism_spec": map[string]int{"constant": 2},
		"autoscaling":      true,
	})
	created := time.Now()
	if _, err := e.api().CreatePipeline(e.t.Context(), spec, false, false, false); err != nil {
		e.t.Fatal(err)
	}
	return created
}

// firstJob waits for the first job, the pipeline's creation's (whose ID
// is not the input commit's), checks it, and returns how long after the
// pipeline's creation its first datum ran and it succeeded.
func (e *e2e) firstJob(created time.Time) (firstDatum, toSuccess time.Duration) {
	var job string
	testenv.Eventually(e.t, 2*time.Minute, "the first datum runs", func() bool {
		if job == "" {
			jobs, err := e.api().ListJobs(e.t.Context(), e2ePipe, "", 0)
			if err != nil || len(jobs) == 0 {
				return false
			}
			job = jobs[0].ID
		}
		at := e.firstStart(job)
		firstDatum = at.Sub(created)
		return !at.IsZero()
	})
	j := e.wait(job)
	e.check(job)
	return firstDatum, j.Finished.Sub(created)
}

// An e2e is the state of TestEndToEnd.
type e2e struct {
	t     *testing.T
	cp    *kubetest.ControlPlane
	ns    string
	image string
	token string
	pin   tlscert.Fingerprint
	// connect returns a client of the servers: the pods', or the docker
	// runner's for comparison.
	connect func() *client.Client
	jobs    int // inputs so far: e2eDatums a job
}

// use makes e's helpers fail t, a subtest, until the undoing it returns.
func (e *e2e) use(t *testing.T) func() {
	parent := e.t
	e.t = t
	return func() { e.t = parent }
}

// logPods logs the state of every pod of the test's, and the end of the
// logs of their containers.
func (e *e2e) logPods(nd *node.Node) {
	ctx := context.Background()
	l, err := e.cp.Client.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Logf("list the pods: %v", err)
		return
	}
	for _, p := range l.Items {
		status, _ := json.Marshal(p.Status)
		e.t.Logf("pod %s: %s", p.Name, status)
		for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			logs, err := nd.Logs(ctx, e.ns, p.Name, c.Name)
			if err != nil {
				e.t.Logf("logs of %s/%s: %v", p.Name, c.Name, err)
				continue
			}
			lines := strings.Split(strings.TrimSpace(logs), "\n")
			e.t.Logf("logs of %s/%s end:\n%s", p.Name, c.Name, strings.Join(lines[max(0, len(lines)-30):], "\n"))
		}
	}
}

// buildImage builds Tusk's image from this tree with scripts/image.sh
// under a tag of the test's, removed when the test ends, and checks that
// the workers' image is there.
func buildImage(t *testing.T) string {
	if out, err := exec.Command("docker", "image", "inspect", workerImage).CombinedOutput(); err != nil {
		t.Fatalf("no image %s (build it with bash .ci/docker.sh): %v: %s", workerImage, err, out)
	}
	image := fmt.Sprintf("tusk-test/tusk:e2e-%08x", rand.Uint32())
	out, err := exec.Command("bash", filepath.Join("..", "scripts", "image.sh"), image).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/image.sh: %v: %s", err, out)
	}
	t.Cleanup(func() { docker(t, "rmi", image) })
	return image
}

// proxiedURL returns rawurl with its host replaced by a proxy to it on
// gateway, as containers reach it.
func proxiedURL(t *testing.T, rawurl, gateway string) string {
	u, err := url.Parse(rawurl)
	if err != nil {
		t.Fatalf("parse %s: %v", rawurl, err)
	}
	_, port, _ := net.SplitHostPort(testenv.StartProxyOn(t, net.JoinHostPort(gateway, "0"), u.Host).Addr())
	u.Host = net.JoinHostPort("host.docker.internal", port)
	return u.String()
}

// bucketOnHost returns the URL of a fresh prefix of the bucket of
// TUSK_TEST_S3, named after e's namespace, emptied when the test ends.
func (e *e2e) bucketOnHost(s3url string) string {
	u, err := url.Parse(s3url)
	if err != nil {
		e.t.Fatalf("TUSK_TEST_S3: %v", err)
	}
	u.Path = "/" + e.ns
	onHost := u.String()
	e.t.Cleanup(func() {
		ctx := context.Background()
		st, err := blobopen.Open(ctx, onHost, blobopen.Options{})
		if err != nil {
			e.t.Errorf("open the test's object store: %v", err)
			return
		}
		defer st.Close()
		if err := st.List(ctx, "", func(i blob.Info) error { return st.Delete(ctx, i.Key) }); err != nil {
			e.t.Errorf("empty the test's object store: %v", err)
		}
	})
	return onHost
}

// bucketPrefix is bucketOnHost as containers reach it, through a proxy
// of its endpoint on gateway.
func (e *e2e) bucketPrefix(s3url, gateway string) string {
	u, err := url.Parse(e.bucketOnHost(s3url))
	if err != nil {
		e.t.Fatal(err)
	}
	q := u.Query()
	endpoint := q.Get("endpoint")
	if endpoint == "" {
		e.t.Fatalf("TUSK_TEST_S3 has no endpoint=http://host:port: %q", s3url)
	}
	q.Set("endpoint", proxiedURL(e.t, endpoint, gateway))
	u.RawQuery = q.Encode()
	return u.String()
}

// template renders the chart with values, as release e2e in the test's
// namespace.
func (e *e2e) template(values map[string]any) []byte {
	data, err := json.Marshal(values)
	if err != nil {
		e.t.Fatal(err)
	}
	file := filepath.Join(e.t.TempDir(), "values.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	out, err := helmTemplate(e.t, release, e.ns, "--values", file)
	if err != nil {
		e.t.Fatalf("helm template: %v", err)
	}
	return out
}

// kubectl runs kubectl on the test's namespace with stdin.
func (e *e2e) kubectl(stdin []byte, args ...string) string {
	e.t.Helper()
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", e.cp.Kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(string(stdin))
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("kubectl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// serverPods returns the running server pods that are Ready.
func (e *e2e) serverPods() []corev1.Pod {
	return e.pods("app.kubernetes.io/component=server")
}

// workerPods returns the running worker pods that are Ready.
func (e *e2e) workerPods() []corev1.Pod {
	return e.pods("tusk.dev/pipeline=" + e2ePipe)
}

func (e *e2e) pods(selector string) []corev1.Pod {
	pods, err := readyPods(e.t.Context(), e.cp.Client, e.ns, selector)
	if err != nil {
		e.t.Fatal(err)
	}
	return pods
}

// deployments returns the pipeline's worker Deployments.
func (e *e2e) deployments() []appsv1.Deployment {
	l, err := e.cp.Client.AppsV1().Deployments(e.ns).List(e.t.Context(), metav1.ListOptions{LabelSelector: "tusk.dev/pipeline=" + e2ePipe})
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

// waitServers waits until n server pods are Ready and answer.
func (e *e2e) waitServers(n int) {
	testenv.Eventually(e.t, 3*time.Minute, fmt.Sprintf("%d servers answer", n), func() bool {
		pods := e.serverPods()
		return len(pods) == n
	})
}

// login reads the admin token and the servers' certificate from the
// chart's Secrets, and waits until the servers answer.
func (e *e2e) login() {
	ctx := e.t.Context()
	secrets := e.cp.Client.CoreV1().Secrets(e.ns)
	admin, err := secrets.Get(ctx, fullname+"-admin", metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	tls, err := secrets.Get(ctx, fullname+"-tls", metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	block, _ := pem.Decode(tls.Data["tls.crt"])
	if block == nil {
		e.t.Fatal("the chart's TLS Secret holds no PEM certificate")
	}
	e.token, e.pin = string(admin.Data["token"]), tlscert.FingerprintOf(block.Bytes)
	var err2 error
	defer func() {
		if e.t.Failed() {
			e.t.Logf("the servers' last answer: %v", err2)
		}
	}()
	testenv.Eventually(e.t, 2*time.Minute, "the servers answer", func() bool {
		_, err2 = e.info(e.api())
		return err2 == nil
	})
}

func (e *e2e) api() *client.Client { return e.connect() }

// podsClient returns a client of the Ready server pods, at their addresses (a
// server answers to those, not to the address of the workers' stand-in
// for the Service, host.docker.internal, which the host cannot resolve).
func (e *e2e) podsClient() *client.Client {
	var addrs []string
	for _, p := range e.serverPods() {
		addrs = append(addrs, net.JoinHostPort(p.Status.PodIP, fmt.Sprint(serverPort)))
	}
	return e.client(strings.Join(addrs, ",https://"))
}

func (e *e2e) client(addr string) *client.Client {
	cl, err := client.New("https://"+addr, client.WithToken(e.token), client.ServerFingerprint(e.pin))
	if err != nil {
		e.t.Fatal(err)
	}
	return cl
}

func (e *e2e) info(cl *client.Client) (client.Info, error) {
	ctx, cancel := context.WithTimeout(e.t.Context(), 3*time.Second)
	defer cancel()
	return cl.Info(ctx)
}

// leader waits until a server pod other than not says it leads, and
// returns its name.
func (e *e2e) leader(not string) string {
	var leader string
	testenv.Eventually(e.t, 2*time.Minute, "a server leads", func() bool {
		for _, p := range e.serverPods() {
			if p.Name == not || p.DeletionTimestamp != nil {
				continue
			}
			if i, err := e.info(e.client(net.JoinHostPort(p.Status.PodIP, fmt.Sprint(serverPort)))); err == nil && i.Leader {
				leader = p.Name
				return true
			}
		}
		return false
	})
	return leader
}

// commit commits job n's e2eDatums inputs, /jN-II.
func (e *e2e) commit(n int) tusk.Commit {
	up, err := e.api().NewUpload(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range e2eDatums {
		p := fmt.Sprintf("/j%d-%02d", n, i)
		if err := up.PutFile(p, strings.NewReader(p+"\n"), false); err != nil {
			e.t.Fatal(err)
		}
	}
	c, err := up.Commit("in@master")
	if err != nil {
		e.t.Fatalf("commit job %d's inputs: %v", n, err)
	}
	e.jobs = n + 1
	return c
}

// firstStart returns when the first datum of job id started, zero if none
// has.
func (e *e2e) firstStart(id string) time.Time {
	var first time.Time
	err := e.api().ListDatums(e.t.Context(), e2ePipe, id, "", func(d tusk.DatumInfo) error {
		if d.Started != nil && (first.IsZero() || d.Started.Before(first)) {
			first = *d.Started
		}
		return nil
	})
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		e.t.Fatal(err)
	}
	return first
}

// inspect asks about job id, giving up after a few seconds.
func (e *e2e) inspect(id string) (tusk.JobInfo, error) {
	ctx, cancel := context.WithTimeout(e.t.Context(), 5*time.Second)
	defer cancel()
	return e.api().InspectJob(ctx, e2ePipe, id)
}

// waitProcessed waits until job id has processed n datums.
func (e *e2e) waitProcessed(id string, n int64) {
	testenv.Eventually(e.t, 2*time.Minute, fmt.Sprintf("job %s processed %d datums", id, n), func() bool {
		j, err := e.inspect(id)
		return err == nil && j.DataProcessed >= n
	})
}

// wait waits until job id ends, and fails the test unless it succeeded.
func (e *e2e) wait(id string) tusk.JobInfo {
	e.t.Helper()
	var j tusk.JobInfo
	var err error
	// A readiness poll with a deadline, not the server's blocking wait
	// job: the test deletes the leader's pod, which would cut that
	// request; and not testenv.Eventually: its failure says what state
	// the job was left in.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if j, err = e.inspect(id); err == nil && tusk.JobDone(j.State) {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s did not end within 2 minutes (%s, %v)", id, j.State, err)
		}
	}
	if j.State != tusk.JobSuccess || j.Finished == nil {
		e.t.Fatalf("job %s ended %s: %s", id, j.State, j.Reason)
	}
	return j
}

// check checks that the output of job id holds one file of each input so
// far, with the input's content.
func (e *e2e) check(id string) {
	e.t.Helper()
	ctx := e.t.Context()
	outputs := map[string][]string{}
	err := e.api().WalkFiles(ctx, e2ePipe+"@"+id, func(fi tusk.FileInfo) error {
		// "/jN-II-POD": the output of input "/jN-II".
		parts := strings.SplitN(fi.Path, "-", 3)
		in := strings.Join(parts[:min(2, len(parts))], "-")
		outputs[in] = append(outputs[in], fi.Path)
		return nil
	})
	if err != nil {
		e.t.Fatalf("read the output of job %s: %v", id, err)
	}
	for n := range e.jobs {
		for i := range e2eDatums {
			in := fmt.Sprintf("/j%d-%02d", n, i)
			if len(outputs[in]) != 1 {
				e.t.Errorf("the output of job %s holds %d files of input %s, want 1: %v", id, len(outputs[in]), in, outputs[in])
			}
			delete(outputs, in)
		}
	}
	if len(outputs) > 0 {
		e.t.Errorf("the output of job %s holds files of no input: %v", id, outputs)
	}
}

// checkWorkers checks that the pipeline runs as one Deployment whose
// pods, two, run on node.
func (e *e2e) checkWorkers(node string) {
	var pods []corev1.Pod
	testenv.Eventually(e.t, 2*time.Minute, "a Deployment of 2 ready worker pods", func() bool {
		ds := e.deployments()
		pods = e.workerPods()
		return len(ds) == 1 && ds[0].Spec.Replicas != nil && *ds[0].Spec.Replicas == 2 && len(pods) == 2
	})
	for _, p := range pods {
		if p.Spec.NodeName != node {
			e.t.Errorf("worker pod %s runs on node %q, want %q", p.Name, p.Spec.NodeName, node)
		}
		if !slices.ContainsFunc(p.OwnerReferences, func(o metav1.OwnerReference) bool { return o.Kind == "ReplicaSet" }) {
			e.t.Errorf("worker pod %s is not of a ReplicaSet: %v", p.Name, p.OwnerReferences)
		}
	}
}

// readyPods lists the pods of namespace matching selector that run, are
// Ready and not being deleted.
func readyPods(ctx context.Context, c kubernetes.Interface, namespace, selector string) ([]corev1.Pod, error) {
	l, err := c.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s: %w", selector, err)
	}
	var out []corev1.Pod
	for _, p := range l.Items {
		ready := slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
		})
		if ready && p.DeletionTimestamp == nil && p.Status.PodIP != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// startService stands in for a Service and kube-proxy, which the node
// agent lacks: it listens on listen and forwards each connection to port
// of a Ready pod of namespace matching selector, picked at random. It
// returns its address, and stops when t ends.
func startService(t *testing.T, c kubernetes.Interface, namespace, selector, listen string, port int) string {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) func() {
		mu.Lock()
		defer mu.Unlock()
		conns[c] = true
		return func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}
	}
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			untrack := track(in)
			wg.Go(func() {
				defer untrack()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				pods, err := readyPods(ctx, c, namespace, selector)
				if err != nil || len(pods) == 0 {
					return
				}
				p := pods[rand.IntN(len(pods))]
				var d net.Dialer
				out, err := d.DialContext(ctx, "tcp", net.JoinHostPort(p.Status.PodIP, fmt.Sprint(port)))
				if err != nil {
					return
				}
				defer track(out)()
				done := make(chan struct{})
				go func() {
					_, _ = io.Copy(out, in)
					out.(*net.TCPConn).CloseWrite()
					close(done)
				}()
				_, _ = io.Copy(in, out)
				in.(*net.TCPConn).CloseWrite()
				<-done
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// docker runs the docker CLI and returns its output.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
