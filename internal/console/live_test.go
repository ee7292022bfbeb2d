package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	Name, Data string
}

// openSSE connects to an event stream of the console and returns its
// events as they come.
func (e *env) openSSE(ctx context.Context, path string) <-chan sseEvent {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.baseURL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.AddCookie(e.session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		e.t.Fatalf("GET %s: status %d, type %q", path, resp.StatusCode, ct)
	}
	out := make(chan sseEvent)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.Name != "":
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
				ev = sseEvent{}
			}
		}
	}()
	return out
}

// next returns the next event with one of the names, failing on timeout.
func next(t *testing.T, events <-chan sseEvent, names ...string) sseEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended while waiting for %v", names)
			}
			for _, n := range names {
				if ev.Name == n {
					return ev
				}
			}
		case <-timeout:
			t.Fatalf("no %v event in 30s", names)
		}
	}
}

func TestEventsReportCommits(t *testing.T) {
	e := start(t)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	if _, err := e.api.CreateRepo(ctx, "images", ""); err != nil {
		t.Fatal(err)
	}
	events := e.openSSE(ctx, "/events")
	next(t, events, "ready")
	c := e.put("images", "/cat.png", "meow")
	ev := next(t, events, "commit")
	if !strings.Contains(ev.Data, `"repo":"images"`) || !strings.Contains(ev.Data, c.ID) {
		t.Errorf("commit event = %s, want one of images@%s", ev.Data, c.ID)
	}
}

func TestLogsAreFollowedWhileTheJobRuns(t *testing.T) {
	e := start(t)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	if _, err := e.api.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	spec := `{"pipeline": {"name": "slow"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
	 "transform": {"cmd": ["sh", "-c", "echo start; sleep 3; echo finish"]}}`
	if _, err := e.api.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	c := e.put("in", "/x", "1")
	var datum tusk.DatumInfo
	for deadline := time.Now().Add(30 * time.Second); datum.State != tusk.DatumRunning; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the datum did not start: %+v", datum)
		}
		e.api.ListDatums(ctx, "slow", c.ID, "", func(d tusk.DatumInfo) error { datum = d; return nil })
	}
	page := e.page("/jobs/slow/"+c.ID+"/datums/"+datum.ID, "data-follow=")
	follow := page[strings.Index(page, `data-follow="`)+len(`data-follow="`):]
	follow = strings.ReplaceAll(follow[:strings.IndexByte(follow, '"')], "&amp;", "&")
	events := e.openSSE(ctx, follow)
	var lines []string
	for {
		ev := next(t, events, "line", "end")
		if ev.Name == "end" {
			break
		}
		lines = append(lines, ev.Data)
	}
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, `"message":"finish"`) || strings.Count(all, `"message":"start"`) > 1 {
		t.Errorf("followed lines:\n%s\nwant the lines after the page's, ending with finish", all)
	}
	onPage := strings.Contains(page, "</time> start</span>")
	if onPage == strings.Contains(all, `"message":"start"`) {
		t.Errorf("the start line must be on the page or in the stream, once:\npage has it: %v\nstream: %s", onPage, all)
	}
}

// slowSpec's 20-datum jobs run one datum at a time, each for a moment,
// and report each datum on its own: their progress moves for seconds.
const slowSpec = `{"pipeline": {"name": "slow"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
 "parallelism_spec": {"constant": 1}, "datum_set_spec": {"number": 1},
 "transform": {"cmd": ["sh", "-c", "sleep 0.2; cp $in /pfs/out/"]}}`

// startSlow makes repo in and pipeline slow.
func (e *env) startSlow() {
	e.t.Helper()
	if _, err := e.api.CreateRepo(e.ctx, "in", ""); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.api.CreatePipeline(e.ctx, []byte(slowSpec), false, false, false); err != nil {
		e.t.Fatal(err)
	}
}

// putSlow commits 20 files to in, for a 20-datum job of slow.
func (e *env) putSlow() tusk.Commit {
	e.t.Helper()
	var files []string
	for i := range 20 {
		files = append(files, fmt.Sprintf("/%02d", i), strconv.Itoa(i))
	}
	return e.put("in", files...)
}

func TestEventsReportJobProgress(t *testing.T) {
	e := start(t)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	e.startSlow()
	events := e.openSSE(ctx, "/events")
	next(t, events, "ready")
	c := e.putSlow()
	var seen []string // the job's states and processed counts, as reported
	for {
		var j struct {
			Pipeline, ID, State string
			Total, Processed    int64
		}
		ev := next(t, events, "job")
		if err := json.Unmarshal([]byte(ev.Data), &j); err != nil {
			t.Fatalf("job event %s: %v", ev.Data, err)
		}
		if j.Pipeline != "slow" || j.ID != c.ID {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s %d/%d", j.State, j.Processed, j.Total))
		if tusk.JobDone(j.State) {
			break
		}
	}
	if last := seen[len(seen)-1]; last != "SUCCESS 20/20" {
		t.Errorf("the last job event is %q, want SUCCESS 20/20", last)
	}
	running := 0
	for _, s := range seen {
		if strings.HasPrefix(s, tusk.JobRunning+" ") {
			running++
		}
	}
	if running < 3 {
		t.Errorf("job events %q: want at least 3 of the running job's progress", seen)
	}
}
