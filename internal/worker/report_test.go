package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// reportingWorker returns a worker whose reporter sends to a server that
// records the results of each request, and a set of two datums, a and b,
// of it; requests returns what the server received so far. A request
// that sends log lines is recorded as one result, of state "logs".
func reportingWorker(t *testing.T, a, b string) (w *worker, s *datumSet, requests func() [][]tusk.TaskResult) {
	var mu sync.Mutex
	var got [][]tusk.TaskResult
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/workers/logs" {
			mu.Lock()
			got = append(got, []tusk.TaskResult{{State: "logs"}})
			mu.Unlock()
			w.Write([]byte("{}\n"))
			return
		}
		var rs []tusk.TaskResult
		if err := json.NewDecoder(r.Body).Decode(&rs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, rs)
		mu.Unlock()
		w.Write([]byte("{}\n"))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	w = &worker{cfg: Config{Client: c, ID: "w"}, log: slog.New(slog.DiscardHandler)}
	w.rep = newReporter(context.Background(), w)
	s = &datumSet{w: w, tasks: []tusk.Task{{Datum: a}, {Datum: b}}, results: make([]tusk.TaskResult, 2),
		started: make([]time.Time, 2), settled: make([]bool, 2), cancelled: map[string]bool{}, current: -1, stop: func() {}}
	s.logs = newLogSink(context.Background(), w)
	t.Cleanup(s.logs.close)
	return w, s, func() [][]tusk.TaskResult {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// TestShortDatumIsReportedOnce checks that a datum whose command ends
// within startDelay is reported once, its end carrying its start, while
// a longer one is reported RUNNING first.
func TestShortDatumIsReportedOnce(t *testing.T) {
	w, s, requests := reportingWorker(t, "short", "long")
	// The short datum ends at once, well within startDelay: time is what
	// decides whether its start is reported on its own.
	s.running(0)
	s.end(0, tusk.DatumSuccess, "")
	s.running(1)
	// The long datum's command runs on until the server hears it started.
	testenv.Eventually(t, 30*time.Second, "the start of the long datum is reported",
		func() bool { return reported(requests(), "long", tusk.DatumRunning) })
	s.end(1, tusk.DatumSuccess, "")
	w.rep.close()

	states := map[string][]string{}
	for _, res := range slices.Concat(requests()...) {
		states[res.Datum] = append(states[res.Datum], res.State)
		if res.State == tusk.DatumSuccess && res.Started == nil {
			t.Errorf("the end of %s does not carry its start", res.Datum)
		}
	}
	if want := []string{tusk.DatumSuccess}; !slices.Equal(states["short"], want) {
		t.Errorf("short datum reported as %v, want %v", states["short"], want)
	}
	if want := []string{tusk.DatumRunning, tusk.DatumSuccess}; !slices.Equal(states["long"], want) {
		t.Errorf("long datum reported as %v, want %v", states["long"], want)
	}
}

// TestEndGoesWithTheNextStart checks that the end of a datum is held
// until the start of the next one, so that both go in one request, and
// that closing the reporter sends what it holds at once.
func TestEndGoesWithTheNextStart(t *testing.T) {
	w, s, requests := reportingWorker(t, "a", "b")
	// However slow the machine, the end is held until the start comes.
	w.rep.linger = time.Hour
	s.running(0)
	s.end(0, tusk.DatumSuccess, "")
	s.running(1)
	testenv.Eventually(t, 30*time.Second, "a request is sent", func() bool { return len(requests()) > 0 })
	s.end(1, tusk.DatumSuccess, "")
	w.rep.close() // sends the held end of b without waiting
	var got [][]string
	for _, req := range requests() {
		var states []string
		for _, res := range req {
			states = append(states, res.Datum+" "+res.State)
		}
		got = append(got, states)
	}
	want := [][]string{{"a " + tusk.DatumSuccess, "b " + tusk.DatumRunning}, {"b " + tusk.DatumSuccess}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("requests = %q, want %q", got, want)
	}
}

// TestLogsGoBeforeTheEnd: the reason a datum failed is in its logs by the
// time the server hears it failed.
func TestLogsGoBeforeTheEnd(t *testing.T) {
	w, s, requests := reportingWorker(t, "a", "b")
	s.running(0)
	s.end(0, tusk.DatumFailed, "command exited with code 1")
	w.rep.close()
	var got []string
	for _, req := range requests() {
		for _, res := range req {
			got = append(got, res.Datum+" "+res.State)
		}
	}
	if want := []string{" logs", "a " + tusk.DatumFailed}; !slices.Equal(got, want) {
		t.Errorf("requests = %q, want the logs first: %q", got, want)
	}
}

// reported says whether the requests hold a result of datum in state.
func reported(requests [][]tusk.TaskResult, datum, state string) bool {
	return slices.ContainsFunc(slices.Concat(requests...), func(r tusk.TaskResult) bool { return r.Datum == datum && r.State == state })
}

// TestReportIsSentAgainWhileTheServerFails: a report the server fails
// for reasons of its own (503: its store was too busy) is sent again
// until it lands; one it refuses (400) is not.
func TestReportIsSentAgainWhileTheServerFails(t *testing.T) {
	var mu sync.Mutex
	calls, fail := 0, 2
	status, kind := http.StatusServiceUnavailable, "unavailable"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error": {"kind": %q, "message": "no"}}`, kind)
			return
		}
		w.Write([]byte("{}\n"))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{cfg: Config{Client: c, ID: "w"}, log: slog.New(slog.DiscardHandler)}
	r := newReporter(context.Background(), w)
	defer r.close()
	results := []tusk.TaskResult{{Datum: "d", State: tusk.DatumSuccess}}
	if err := r.report(context.Background(), results); err != nil || calls != 3 {
		t.Errorf("report through two failures: %v after %d calls, want success at the third", err, calls)
	}
	mu.Lock()
	calls, fail, status, kind = 0, 5, http.StatusBadRequest, "invalid"
	mu.Unlock()
	if err := r.report(context.Background(), results); tusk.KindOf(err) != tusk.KindInvalid || calls != 1 {
		t.Errorf("a refused report: %v after %d calls, want invalid at once", err, calls)
	}
}

// TestOutputLines: a command's stdout and stderr become log lines of the
// datum in hand, a last line without its newline and a line longer than
// the readers' buffer included, all of them in by the time end returns;
// the next command's lines go to the next datum, through the same pipes.
func TestOutputLines(t *testing.T) {
	// A sink that only gathers lines: it sends none.
	sink := &logSink{w: &worker{}}
	tasks := []tusk.Task{{Datum: "a"}, {Datum: "b"}}
	long := strings.Repeat("x", 100<<10)
	for i, script := range []string{"echo out; echo err >&2; printf " + long + "; printf partial >&2", "echo second"} {
		sink.setTask(&tasks[i])
		o, err := sink.output()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", script)
		cmd.Stdout, cmd.Stderr = o.w[0], o.w[1]
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		o.end()
	}
	got := map[string][]string{}
	for _, l := range sink.lines {
		got[l.Datum] = append(got[l.Datum], l.Message)
	}
	sink.out.w[0].Close()
	sink.out.w[1].Close()
	sink.wg.Wait()
	a := got["a"]
	if !slices.Contains(a, "out") || !slices.Contains(a, "err") || !slices.Contains(a, "partial") ||
		strings.Join(slices.DeleteFunc(slices.Clone(a), func(l string) bool { return !strings.HasPrefix(l, "x") }), "") != long {
		t.Errorf("datum a's %d lines miss out, err, partial or the long line", len(a))
	}
	if b := got["b"]; !slices.Equal(b, []string{"second"}) {
		t.Errorf("datum b's lines = %q, want [second]", b)
	}
}

// TestOutputHeldOpen: a process that outlives its command (where nothing
// keeps a tree together) and holds the output pipes open does not hold
// the set's end.
func TestOutputHeldOpen(t *testing.T) {
	w, _, _ := reportingWorker(t, "a", "b")
	sleep, _ := testenv.Marked(t)
	sink := newLogSink(context.Background(), w)
	o, err := sink.output()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "echo hi; "+sleep+" 400 &")
	cmd.Stdout, cmd.Stderr = o.w[0], o.w[1]
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	o.end()
	closed := make(chan struct{})
	go func() {
		sink.close()
		close(closed)
	}()
	testenv.Eventually(t, 60*time.Second, "the sink closes while a process holds its pipes", func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	})
}
