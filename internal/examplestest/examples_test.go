// Package examplestest runs the examples of examples/ the way their READMEs
// tell a newcomer to: a `tusk up` server with the process runner, then the
// example's run.sh with tusk on PATH, and checks what the pipelines wrote.
// The tests are skipped with -short.
package examplestest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// tuskBin is the tusk binary TestMain built; its directory is put first on
// the PATH of run.sh.
var tuskBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(testenv.RunWithBinary(m, &tuskBin))
}

// example is one run of an example against its own server.
type example struct {
	t   *testing.T
	env []string // TUSK_ADDRESS, PATH with tusk first, a private HOME
	dir string   // the working directory run.sh ran in
	out string   // what run.sh printed
}

// runExample starts a server, runs examples/<name>/run.sh against it in a
// fresh working directory and returns the result; run.sh must succeed.
func runExample(t *testing.T, name string) *example {
	t.Helper()
	e, logs := startExample(t)
	script, err := filepath.Abs(filepath.Join("..", "..", "examples", name, "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", script)
	cmd.Env, cmd.Dir = e.env, e.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	e.out = out.String()
	if err != nil {
		t.Fatalf("%s: %v\n%s\nserver log:\n%s", script, err, e.out, logs)
	}
	return e
}

// startExample starts a server for an example, and the environment its
// commands run in.
func startExample(t *testing.T) (*example, *tusktest.Buffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a tusk server; skipped with -short")
	}
	t.Parallel()
	u := tusktest.StartUp(t, tuskBin, "--runner", "process")
	addr, logs := u.Addr, u.Logs
	home := t.TempDir()
	e := &example{t: t, dir: t.TempDir(), env: append(os.Environ(),
		"TUSK_ADDRESS="+addr,
		"TUSK_TOKEN="+u.Token,
		"PATH="+filepath.Dir(tuskBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home,
		"TUSK_CONFIG="+filepath.Join(home, "config.json"),
	)}
	return e, logs
}

// tusk runs the tusk binary against the example's server and returns its
// standard output; the command must succeed.
func (e *example) tusk(args ...string) string {
	e.t.Helper()
	cmd := exec.Command(tuskBin, args...)
	cmd.Env, cmd.Dir = e.env, e.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("tusk %s: %v\n%s\nrun.sh printed:\n%s", strings.Join(args, " "), err, stderr.String(), e.out)
	}
	return string(out)
}

// files returns every file under the root of repo@master, by path
// relative to the root.
func (e *example) files(repo string) map[string]string {
	e.t.Helper()
	dir := filepath.Join(e.t.TempDir(), repo)
	e.tusk("get", "file", "-r", repo+"@master:/", "-o", dir)
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// job is the part of a job the tests look at.
type job struct {
	Pipeline  string `json:"pipeline"`
	State     string `json:"state"`
	Total     int    `json:"data_total"`
	Processed int    `json:"data_processed"`
	Skipped   int    `json:"data_skipped"`
	Failed    int    `json:"data_failed"`
	Recovered int    `json:"data_recovered"`
}

// jobInfo is the part of `tusk list job -o json`, Pachyderm's JobInfo
// (as pachctl prints it), the tests look at.
type jobInfo struct {
	Job struct {
		Pipeline struct {
			Name string `json:"name"`
		} `json:"pipeline"`
	} `json:"job"`
	State     string `json:"state"`
	Total     int    `json:"data_total,string"`
	Processed int    `json:"data_processed,string"`
	Skipped   int    `json:"data_skipped,string"`
	Failed    int    `json:"data_failed,string"`
	Recovered int    `json:"data_recovered,string"`
}

// jobs returns the jobs of a pipeline, newest first.
func (e *example) jobs(pipeline string) []job {
	e.t.Helper()
	var jobs []job
	dec := json.NewDecoder(strings.NewReader(e.tusk("list", "job", "-p", pipeline, "-o", "json")))
	for dec.More() {
		var j jobInfo
		if err := dec.Decode(&j); err != nil {
			e.t.Fatalf("list job -p %s: %v", pipeline, err)
		}
		jobs = append(jobs, job{Pipeline: j.Job.Pipeline.Name, State: j.State, Total: j.Total, Processed: j.Processed,
			Skipped: j.Skipped, Failed: j.Failed, Recovered: j.Recovered})
	}
	return jobs
}

// checkLastJob checks the state and datum counts of a pipeline's newest job.
func (e *example) checkLastJob(want job) {
	e.t.Helper()
	jobs := e.jobs(want.Pipeline)
	if len(jobs) == 0 {
		e.t.Fatalf("pipeline %s has no job", want.Pipeline)
	}
	if jobs[0] != want {
		e.t.Errorf("newest job of %s = %+v, want %+v", want.Pipeline, jobs[0], want)
	}
}

// checkFiles compares a repo's files with want, exactly.
func (e *example) checkFiles(repo string, want map[string]string) {
	e.t.Helper()
	got := e.files(repo)
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[p]; !ok {
			e.t.Errorf("%s@master: /%s is missing", repo, p)
		} else if g != want[p] {
			e.t.Errorf("%s@master:/%s =\n%s\nwant\n%s", repo, p, g, want[p])
		}
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[p]; !ok {
			e.t.Errorf("%s@master: unexpected file /%s", repo, p)
		}
	}
}

// exampleFile reads a file of examples/.
func exampleFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWordCount(t *testing.T) {
	e := runExample(t, "word_count")

	// The words of every document, as the map pipeline cuts them: runs of
	// ASCII letters, lowercased.
	want := map[string]string{}
	counts := map[string]int{}
	for _, doc := range []string{"data/fox.txt", "data/bees.txt", "data/rain.txt", "more/owl.txt"} {
		text := strings.ToLower(string(exampleFile(t, "word_count/"+doc)))
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r < 'a' || r > 'z' }) {
			counts[w]++
		}
	}
	for w, n := range counts {
		want[w] = fmt.Sprintf("%d\n", n)
	}
	if want["the"] != "15\n" || want["fox"] != "3\n" || want["owl"] != "1\n" {
		t.Fatalf("the documents changed: the=%q fox=%q owl=%q", want["the"], want["fox"], want["owl"])
	}
	e.checkFiles("reduce", want)

	// One directory per document in map, and the fourth document was the
	// only datum the last job processed.
	dirs := map[string]bool{}
	for p := range e.files("map") {
		dirs[strings.SplitN(p, "/", 2)[0]] = true
	}
	if len(dirs) != 4 {
		t.Errorf("map@master has %d datum directories, want 4: %v", len(dirs), dirs)
	}
	e.checkLastJob(job{Pipeline: "map", State: "JOB_SUCCESS", Total: 4, Processed: 1, Skipped: 3})
	e.checkLastJob(job{Pipeline: "reduce", State: "JOB_SUCCESS", Total: 1, Processed: 1})
	if !strings.Contains(e.out, "15 the\n") {
		t.Errorf("run.sh did not print the final count of \"the\":\n%s", e.out)
	}
}

// TestWordCountMakefile runs the word count example through a Makefile in
// the style of Pachyderm's examples (pachctl commands, each with
// --project default), with tusk as the CLI, and checks the counts.
func TestWordCountMakefile(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("needs make")
	}
	e, _ := startExample(t)
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "word_count"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "-C", dir, "word_count", "more", "PACHCTL="+tuskBin)
	cmd.Env = e.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make word_count more: %v\n%s", err, out)
	}
	head := strings.TrimSpace(e.tusk("inspect", "commit", "documents@master", "-o", "json"))
	var c struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	if err := json.Unmarshal([]byte(head), &c); err != nil {
		t.Fatal(err)
	}
	e.tusk("wait", "commit", c.Commit.ID)
	if got := e.files("reduce")["the"]; got != "15\n" {
		t.Errorf("reduce@master:/the = %q, want 15", got)
	}
	cmd = exec.Command("make", "-C", dir, "clean", "PACHCTL="+tuskBin)
	cmd.Env = e.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make clean: %v\n%s", err, out)
	}
}

func TestJoins(t *testing.T) {
	e := runExample(t, "joins")
	w1001 := "W1001 2024-03-01 store 1 (Harbor St.) SKU 1001: 2 x 10.00 = 20.00\n"
	w1002 := "W1002 2024-03-01 store 1 (Harbor St.) SKU 2002: 1 x 25.00 = 25.00\n"
	w1003 := "W1003 2024-03-02 store 2 (Beacon Hill) SKU 0615: 3 x 7.50 = 22.50\n"
	w1004 := "W1004 2024-03-02 store 3 (Sunset Blvd.) SKU 1001: 1 x 10.00 = 10.00\n"
	w1005 := "W1005 2024-03-03 store 5 (Vine St.) SKU 2002: 4 x 25.00 = 100.00\n"
	w1007 := "W1007 2024-03-04 store 4 (Mission St.) SKU 0615: 2 x 7.50 = 15.00\n"
	// Store 9 does not exist: its purchase W1006 has no partner.
	e.checkFiles("inner_join", map[string]string{
		"02110/ORDERW1001_STOREID1.txt": w1001,
		"02110/ORDERW1002_STOREID1.txt": w1002,
		"02110/ORDERW1003_STOREID2.txt": w1003,
		"90028/ORDERW1004_STOREID3.txt": w1004,
		"90028/ORDERW1005_STOREID5.txt": w1005,
		"94103/ORDERW1007_STOREID4.txt": w1007,
	})
	e.checkFiles("reduce_inner", map[string]string{
		"02110.txt": w1001 + w1002 + w1003 + "TOTAL 67.50\n",
		"90028.txt": w1004 + w1005 + "TOTAL 110.00\n",
		"94103.txt": w1007 + "TOTAL 15.00\n",
	})
	e.checkLastJob(job{Pipeline: "inner_join", State: "JOB_SUCCESS", Total: 6, Processed: 1, Skipped: 5})
	e.checkLastJob(job{Pipeline: "reduce_inner", State: "JOB_SUCCESS", Total: 3, Processed: 1, Skipped: 2})
}

func TestGroup(t *testing.T) {
	e := runExample(t, "group")
	t101 := "T1700000101-LIPID-PATID1-CLIA24D0000001 Cholesterol=194 Triglyceride=98\n"
	t102 := "T1700000102-LIPID-PATID2-CLIA24D0000001 Cholesterol=215 Triglyceride=120\n"
	t103 := "T1700000103-LIPID-PATID3-CLIA24D0000001 Cholesterol=181 Triglyceride=87\n"
	t104 := "T1700000104-LIPID-PATID1-CLIA24D0000002 Cholesterol=201 Triglyceride=104\n"
	t105 := "T1700000105-LIPID-PATID3-CLIA24D0000002 Cholesterol=176 Triglyceride=91\n"
	t106 := "T1700000106-LIPID-PATID2-CLIA24D0000002 Cholesterol=209 Triglyceride=115\n"
	e.checkFiles("reduce_group_by_patient", map[string]string{
		"1.txt": t101 + t104,
		"2.txt": t102 + t106,
		"3.txt": t103 + t105,
	})
	e.checkFiles("reduce_group_by_hospital", map[string]string{
		"24D0000001.txt": t101 + t102 + t103,
		"24D0000002.txt": t104 + t105 + t106,
	})

	// group_by_patient copies each patient's files unchanged.
	byPatient := e.files("group_by_patient")
	if len(byPatient) != 6 {
		t.Errorf("group_by_patient@master has %d files, want 6", len(byPatient))
	}
	name := "T1700000106-LIPID-PATID2-CLIA24D0000002.txt"
	if got, want := byPatient["2/"+name], string(exampleFile(t, "group/more/"+name)); got != want {
		t.Errorf("group_by_patient@master:/2/%s = %q, want %q", name, got, want)
	}

	// The new result changed one group of each kind.
	e.checkLastJob(job{Pipeline: "group_by_patient", State: "JOB_SUCCESS", Total: 3, Processed: 1, Skipped: 2})
	e.checkLastJob(job{Pipeline: "group_by_hospital", State: "JOB_SUCCESS", Total: 2, Processed: 1, Skipped: 1})
	e.checkLastJob(job{Pipeline: "reduce_group_by_patient", State: "JOB_SUCCESS", Total: 3, Processed: 1, Skipped: 2})
	e.checkLastJob(job{Pipeline: "reduce_group_by_hospital", State: "JOB_SUCCESS", Total: 2, Processed: 1, Skipped: 1})
}

func TestOpenCV(t *testing.T) {
	testenv.Require(t, "imagemagick", "TUSK_TEST_IMAGEMAGICK")
	e := runExample(t, "opencv")

	// One edge image per input image, with the same name and size.
	images, edges := e.files("images"), e.files("edges")
	if names := slices.Sorted(maps.Keys(images)); len(names) != 4 {
		t.Fatalf("images@master holds %v, want 4 images", names)
	}
	if got, want := slices.Sorted(maps.Keys(edges)), slices.Sorted(maps.Keys(images)); !slices.Equal(got, want) {
		t.Errorf("edges@master holds %v, want %v", got, want)
	}
	for name, img := range images {
		in, err := png.DecodeConfig(strings.NewReader(img))
		if err != nil {
			t.Fatalf("images@master:/%s: %v", name, err)
		}
		out, err := png.DecodeConfig(strings.NewReader(edges[name]))
		if err != nil {
			t.Errorf("edges@master:/%s is not a PNG: %v", name, err)
			continue
		}
		if in.Width != out.Width || in.Height != out.Height {
			t.Errorf("edges@master:/%s is %dx%d, its image %dx%d", name, out.Width, out.Height, in.Width, in.Height)
		}
	}

	// A montage of the eight images, which run.sh also saved.
	montage := e.files("montage")
	if len(montage) != 1 {
		t.Errorf("montage@master holds %d files, want only montage.png", len(montage))
	}
	m := montage["montage.png"]
	if !strings.HasPrefix(m, "\x89PNG\r\n\x1a\n") || len(m) < 10_000 {
		t.Fatalf("montage@master:/montage.png is not a plausible PNG (%d bytes, starts %q)", len(m), m[:min(len(m), 8)])
	}
	cfg, err := png.DecodeConfig(strings.NewReader(m))
	if err != nil {
		t.Fatalf("montage.png: %v", err)
	}
	if cfg.Width < 4*200 || cfg.Height < 2*200 {
		t.Errorf("montage.png is %dx%d, too small for eight tiles", cfg.Width, cfg.Height)
	}
	if local, err := os.ReadFile(filepath.Join(e.dir, "montage.png")); err != nil || string(local) != m {
		t.Errorf("run.sh did not save montage@master:/montage.png to montage.png (err %v)", err)
	}
	e.checkLastJob(job{Pipeline: "edges", State: "JOB_SUCCESS", Total: 4, Processed: 1, Skipped: 3})
	e.checkLastJob(job{Pipeline: "montage", State: "JOB_SUCCESS", Total: 1, Processed: 1})
}

func TestShuffle(t *testing.T) {
	e := runExample(t, "shuffle")
	// The inputs were empty files in the datums; the outputs, made of
	// symlinks to them, must have the inputs' content.
	want := map[string]string{}
	for _, fruit := range []string{"apple", "banana", "mango"} {
		want[fruit+"/img.jpeg"] = string(exampleFile(t, "shuffle/fruits/"+fruit+".jpeg"))
		want[fruit+"/cost.json"] = string(exampleFile(t, "shuffle/pricing/"+fruit+".json"))
	}
	want["plum/img.jpeg"] = string(exampleFile(t, "shuffle/more/plum.jpeg"))
	want["plum/cost.json"] = string(exampleFile(t, "shuffle/more/plum.json"))
	e.checkFiles("shuffle", want)
	e.checkLastJob(job{Pipeline: "shuffle", State: "JOB_SUCCESS", Total: 8, Processed: 1, Skipped: 7})
}

func TestErrCmd(t *testing.T) {
	e := runExample(t, "err_cmd")
	// Only file1's datum succeeded: file2's was recovered, and its output
	// is not kept.
	e.checkFiles("error_test", map[string]string{"file1": "foo\n"})
	jobs := e.jobs("error_test")
	want := []job{
		{Pipeline: "error_test", State: "JOB_FAILURE", Total: 3, Skipped: 1, Failed: 1, Recovered: 1},
		{Pipeline: "error_test", State: "JOB_SUCCESS", Total: 2, Skipped: 1, Recovered: 1},
		{Pipeline: "error_test", State: "JOB_SUCCESS", Total: 1, Processed: 1},
		{Pipeline: "error_test", State: "JOB_SUCCESS"},
	}
	if !slices.Equal(jobs, want) {
		t.Errorf("jobs of error_test, newest first:\n%+v\nwant\n%+v", jobs, want)
	}
}

// TestReadmes checks that every example has a README that runs its run.sh,
// and that the top-level list names every example.
func TestReadmes(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	index := string(exampleFile(t, "README.md"))
	n := 0
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		n++
		readme := string(exampleFile(t, d.Name()+"/README.md"))
		if !strings.Contains(readme, "./run.sh") {
			t.Errorf("examples/%s/README.md does not say to run ./run.sh", d.Name())
		}
		if _, err := os.Stat(filepath.Join("..", "..", "examples", d.Name(), "run.sh")); err != nil {
			t.Errorf("examples/%s: %v", d.Name(), err)
		}
		if !strings.Contains(index, "("+d.Name()+"/)") {
			t.Errorf("examples/README.md does not link to %s/", d.Name())
		}
	}
	if n < 3 {
		t.Errorf("examples/ has %d examples, want at least 3", n)
	}
}
