package clustertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	blobopen "github.com/tuskdata/tusk/internal/blob/open"
	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tlscert/tlscerttest"
)

// datumLease is the servers' --datum-lease: a lost worker's datums go to
// others after it, so the faults of workers cost a few seconds each.
const datumLease = "6s"

// A cluster is two `tusk up` servers (runner external) and four `tusk
// worker` containers on a Docker network, from one FROM scratch image.
// The servers share a fresh PostgreSQL database and a fresh prefix of
// the S3 bucket of the host, which the containers reach through proxies
// on the network's gateway. They serve TLS with a certificate of a CA of
// the test, for their container names; workers trust the CA, the test
// pins the certificate (it reaches the servers by address). Every name
// starts with the run's prefix, and everything goes when the test ends.
type cluster struct {
	t       *testing.T
	prefix  string
	image   string
	network string
	dir     string // on the host: tls/ (mounted in every container), runs/ (workers), one directory per server
	dsn     string // the database, as the containers reach it
	store   string // the object store, as the containers reach it
	pin     tlscert.Fingerprint
	token   string // a cluster admin's
	servers []string
	workers []string

	mu      sync.Mutex
	ips     map[string]string         // by container, as last seen ("": none)
	clients map[string]*client.Client // by server address
	rules   [][]string                // iptables rules in place
}

// newCluster starts the servers, the first one leading, and returns the
// cluster with its servers ready; the workers start with startWorkers.
func newCluster(t *testing.T) *cluster {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	s3url := testenv.Require(t, "s3", "TUSK_TEST_S3")
	raw := make([]byte, 4)
	rand.Read(raw)
	prefix := "tuskct" + hex.EncodeToString(raw)
	c := &cluster{t: t, prefix: prefix, image: prefix + "-image", network: prefix + "-net", dir: testenv.OpenDir(t, 0o755),
		ips: map[string]string{}, clients: map[string]*client.Client{}}
	buildImage(t, c.image, prefix)
	docker(t, "network", "create", "--label", label+"="+prefix, c.network)
	t.Cleanup(func() {
		if _, err := command(nil, "docker", "network", "rm", c.network); err != nil {
			t.Errorf("remove the network: %v", err)
		}
	})
	gateway := docker(t, "network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", c.network)
	if net.ParseIP(gateway) == nil {
		t.Fatalf("network %s has no gateway address: %q", c.network, gateway)
	}
	c.dsn = c.proxied(testenv.PostgresDatabase(t), gateway)
	c.store = c.bucketPrefix(s3url, gateway)
	t.Cleanup(c.removeRules)
	t.Cleanup(func() { removeContainers(t, prefix) })

	for _, d := range []string{"tls", "runs"} {
		if err := os.Mkdir(filepath.Join(c.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c.servers = []string{prefix + "-s1", prefix + "-s2"}
	files := tlscerttest.Issue(t, filepath.Join(c.dir, "tls"), c.servers...)
	c.pin = fingerprint(t, files.Cert)
	for i, s := range c.servers {
		c.startServer(s)
		if i == 0 {
			c.token = adminToken(t, filepath.Join(c.dir, s, "config.json"))
			clear(c.clients) // made without the token
			testenv.Eventually(t, time.Minute, s+" leads", func() bool { return c.leads(s) })
		}
	}
	return c
}

// proxied returns the DSN of the database that the containers reach
// through a proxy on the gateway.
func (c *cluster) proxied(dsn, gateway string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		c.t.Fatalf("TUSK_TEST_POSTGRES: %v", err)
	}
	u.Host = testenv.StartProxyOn(c.t, net.JoinHostPort(gateway, "0"), u.Host).Addr()
	return u.String()
}

// bucketPrefix returns the URL of a fresh prefix of the bucket of
// TUSK_TEST_S3, whose endpoint the containers reach through a proxy on
// the gateway; the prefix is emptied when the test ends.
func (c *cluster) bucketPrefix(s3url, gateway string) string {
	u, err := url.Parse(s3url)
	if err != nil {
		c.t.Fatalf("TUSK_TEST_S3: %v", err)
	}
	u.Path = "/" + c.prefix
	onHost := u.String()
	c.t.Cleanup(func() { emptyStore(c.t, onHost) })
	q := u.Query()
	endpoint, err := url.Parse(q.Get("endpoint"))
	if err != nil || endpoint.Host == "" {
		c.t.Fatalf("TUSK_TEST_S3 has no endpoint=http://host:port: %q", s3url)
	}
	endpoint.Host = testenv.StartProxyOn(c.t, net.JoinHostPort(gateway, "0"), endpoint.Host).Addr()
	q.Set("endpoint", endpoint.String())
	u.RawQuery = q.Encode()
	return u.String()
}

// emptyStore deletes every object of the store at rawurl.
func emptyStore(t *testing.T, rawurl string) {
	ctx := context.Background()
	st, err := blobopen.Open(ctx, rawurl, blobopen.Options{})
	if err != nil {
		t.Errorf("open the cluster's object store: %v", err)
		return
	}
	defer st.Close()
	err = st.List(ctx, "", func(i blob.Info) error { return st.Delete(ctx, i.Key) })
	if err != nil {
		t.Errorf("empty the cluster's object store: %v", err)
	}
}

// fingerprint returns the fingerprint of the PEM certificate in file.
func fingerprint(t *testing.T, file string) tlscert.Fingerprint {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("no PEM certificate in %s", file)
	}
	return tlscert.FingerprintOf(block.Bytes)
}

// adminToken reads the admin token tusk up wrote into its CLI
// configuration.
func adminToken(t *testing.T, file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read the admin token tusk up wrote: %v", err)
	}
	var cfg struct {
		Contexts map[string]struct{ Token string }
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("read the admin token tusk up wrote: %v", err)
	}
	for _, ctx := range cfg.Contexts {
		if ctx.Token != "" {
			return ctx.Token
		}
	}
	t.Fatalf("tusk up wrote no token into %s", file)
	return ""
}

// startServer starts the server container name and waits until it
// answers.
func (c *cluster) startServer(name string) {
	t := c.t
	t.Helper()
	state := filepath.Join(c.dir, name)
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	docker(t, "run", "--detach", "--name", name, "--hostname", name, "--network", c.network, "--label", label+"="+c.prefix,
		"--env", "AWS_ACCESS_KEY_ID", "--env", "AWS_SECRET_ACCESS_KEY", "--env", "TUSK_CONFIG=/state/config.json",
		"--volume", state+":/state", "--volume", filepath.Join(c.dir, "tls")+":/tls:ro",
		c.image, "/bin/tusk", "up", "--data-dir", "/state/data", "--listen", "0.0.0.0:1650", "--runner", "external",
		"--metadata", c.dsn, "--storage", c.store, "--tls-cert", "/tls/server.pem", "--tls-key", "/tls/server-key.pem",
		"--server-name", name, "--datum-lease", datumLease, "--log-level", "info")
	c.waitServer(name)
}

// waitServer waits until server name answers.
func (c *cluster) waitServer(name string) {
	c.t.Helper()
	testenv.Eventually(c.t, time.Minute, name+" answers", func() bool {
		_, err := c.info(name)
		return err == nil
	})
}

// startWorkers starts the worker containers of pipeline, half of them
// asking the first server first, half the second, each moving on to the
// other when the one it uses fails.
func (c *cluster) startWorkers(pipeline, token string, n int) {
	t := c.t
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("%s-w%d", c.prefix, i+1)
		first, second := c.servers[i%2], c.servers[(i+1)%2]
		_, err := command([]string{"TUSK_WORKER_TOKEN=" + token}, "docker", "run", "--detach", "--name", name, "--hostname", name,
			"--network", c.network, "--label", label+"="+c.prefix, "--env", "TUSK_WORKER_TOKEN",
			"--volume", filepath.Join(c.dir, "tls")+":/tls:ro", "--volume", filepath.Join(c.dir, "runs")+":/runs",
			c.image, "/bin/tusk", "worker", "--pipeline", pipeline, "--id", name, "--server-ca", "/tls/ca.pem",
			"--address", "https://"+first+":1650,https://"+second+":1650")
		if err != nil {
			t.Fatal(err)
		}
		c.workers = append(c.workers, name)
	}
}

// use makes the cluster's helpers fail t, a subtest, until the undoing
// it returns.
func (c *cluster) use(t *testing.T) func() {
	parent := c.t
	c.t = t
	return func() { c.t = parent }
}

// ip returns the address of a container on the network, "" if it has
// none (stopped, or disconnected), as last seen: forget makes the next
// call look again.
func (c *cluster) ip(name string) string {
	c.mu.Lock()
	ip, ok := c.ips[name]
	c.mu.Unlock()
	if ok {
		return ip
	}
	ip, _ = command(nil, "docker", "inspect", "--format", `{{with index .NetworkSettings.Networks "`+c.network+`"}}{{.IPAddress}}{{end}}`, name)
	c.mu.Lock()
	c.ips[name] = ip
	c.mu.Unlock()
	return ip
}

// forget forgets the address of a container, which may have changed.
func (c *cluster) forget(name string) {
	c.mu.Lock()
	delete(c.ips, name)
	c.mu.Unlock()
}

// api returns a client of server name as a cluster admin, nil if the
// server has no address.
func (c *cluster) api(name string) *client.Client {
	ip := c.ip(name)
	if ip == "" {
		return nil
	}
	addr := "https://" + net.JoinHostPort(ip, "1650")
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl := c.clients[addr]; cl != nil {
		return cl
	}
	cl, err := client.New(addr, client.WithToken(c.token), client.ServerFingerprint(c.pin))
	if err != nil {
		c.t.Fatal(err)
	}
	c.clients[addr] = cl
	return cl
}

// info asks server name about itself, giving up after a few seconds (a
// stalled server does not answer).
func (c *cluster) info(name string) (client.Info, error) {
	cl := c.api(name)
	if cl == nil {
		return client.Info{}, fmt.Errorf("%s has no address", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return cl.Info(ctx)
}

// leads reports whether server name says it leads.
func (c *cluster) leads(name string) bool {
	i, err := c.info(name)
	return err == nil && i.Leader
}

// leader waits until one server says it leads and returns it.
func (c *cluster) leader() string {
	c.t.Helper()
	var leader string
	testenv.Eventually(c.t, time.Minute, "a server leads", func() bool {
		for _, s := range c.servers {
			if c.leads(s) {
				leader = s
				return true
			}
		}
		return false
	})
	return leader
}

// other returns the server that is not name.
func (c *cluster) other(name string) string {
	if name == c.servers[0] {
		return c.servers[1]
	}
	return c.servers[0]
}

// drop cuts container name off the network without a word: a rule in
// the DOCKER-USER chain drops what it sends to the other containers and
// what they send it, and one in INPUT what it sends to the host (the
// proxies of PostgreSQL and S3). It returns the undoing.
func (c *cluster) drop(name string) func() {
	c.t.Helper()
	ip := c.ip(name)
	rules := [][]string{{"DOCKER-USER", "-s", ip, "-j", "DROP"}, {"DOCKER-USER", "-d", ip, "-j", "DROP"}, {"INPUT", "-s", ip, "-j", "DROP"}}
	for _, r := range rules {
		if _, err := command(nil, "iptables", append([]string{"-I"}, r...)...); err != nil {
			c.t.Fatal(err)
		}
		c.mu.Lock()
		c.rules = append(c.rules, r)
		c.mu.Unlock()
	}
	return c.removeRules
}

// removeRules removes the iptables rules in place.
func (c *cluster) removeRules() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.rules {
		if _, err := command(nil, "iptables", append([]string{"-D"}, r...)...); err != nil {
			c.t.Errorf("remove iptables rule: %v", err)
		}
	}
	c.rules = nil
}
