package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// screenshotDir is where TUSK_SCREENSHOTS=1 saves the pages' pictures.
const screenshotDir = "../../docs/screenshots"

// browser drives a headless Chromium over a running server.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newBrowser starts Chromium, with extra options, on e's server, and
// fails the test at its end if the content policy of a page refused
// anything in it.
func newBrowser(t *testing.T, e *env, extra ...chromedp.ExecAllocatorOption) *browser {
	exe := testenv.Require(t, "browser", "TUSK_TEST_BROWSER")
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(e.ctx, append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}, extra...)...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	var refused []string // read once done is closed
	done := make(chan struct{})
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "Content Security Policy") {
				refused = append(refused, m.Text)
			}
		}
	}()
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
		<-done
		for _, r := range refused {
			t.Errorf("the page's content policy refused: %s", r)
		}
	})
	b := &browser{t: t, ctx: ctx, base: e.baseURL}
	b.do("log in through a login link", chromedp.Navigate(e.srv.LoginLink(e.baseURL)))
	return b
}

// do runs steps, failing the test on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// contains checks that an element's text has every string of want.
func (b *browser) contains(sel string, want ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Errorf("%s shows %q, want it to contain %q", sel, got, w)
		}
	}
}

// screenshot saves the page as docs/screenshots/NAME.png when
// TUSK_SCREENSHOTS=1.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("TUSK_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func TestConsoleInABrowser(t *testing.T) {
	e := start(t)
	b := newBrowser(t, e)
	set := e.scenario().ID

	b.do("open the DAG", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(`a.node[data-name="total"]`)))
	b.contains(`a.node[data-name="count"]`, "count", "job success")
	b.contains(`a.node[data-name="total"]`, "total", "job success")
	b.contains("#jobs", short(set))
	b.screenshot("home")

	// A new commit shows up without reloading the page.
	newer := e.put("words", "/c.txt", "one more line of words\n")
	b.do("see the new job arrive", chromedp.WaitVisible(chromedp.CSS(`#jobs a[href="/jobs/count/`+newer.ID+`"]`)))
	if _, err := e.api.WaitCommit(b.ctx, newer.ID); err != nil {
		t.Fatal(err)
	}

	b.do("open a pipeline from the DAG", chromedp.Click(chromedp.CSS(`a.node[data-name="count"]`)),
		chromedp.WaitVisible(chromedp.CSS("#spec-title")))
	b.contains("h1", "Pipeline count")
	b.do("open the first job", chromedp.Click(chromedp.CSS(`#jobs a[href="/jobs/count/`+set+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#datums table")))
	b.contains("#job-summary", "SUCCESS", "2 processed · 0 skipped · 0 failed / 2")
	b.screenshot("job")

	b.do("open a datum", chromedp.Click(chromedp.CSS("#datums tbody a")), chromedp.WaitVisible(chromedp.CSS("#logs")))
	b.contains("#logs", "counted /pfs/words/")
	b.screenshot("datum-logs")

	b.do("browse a repo", chromedp.Navigate(b.base+"/repos/tables"),
		chromedp.Click(chromedp.CSS(`#branches a[href$="/files/"]`)), chromedp.WaitVisible(chromedp.CSS("table.files")))
	b.contains("table.files", "animals.csv", "conf.json", "dot.png")
	b.screenshot("repo-browser")
	b.do("preview a CSV file", chromedp.Click(chromedp.CSS(`table.files a[href$="/animals.csv"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.preview")))
	b.contains("table.preview thead", "animal", "legs")
	b.contains("table.preview tbody", "heron")
	b.screenshot("file-preview")

	b.do("read the total", chromedp.Navigate(b.base+"/repos/total/commits/"+set+"/files/total"),
		chromedp.WaitVisible(chromedp.CSS("pre.preview")))
	if got := strings.TrimSpace(b.text("pre.preview")); got != "10" {
		t.Errorf("/total shows %q, want 10", got)
	}
	b.do("follow the total's lineage", chromedp.Click(chromedp.CSS(`a.button[href$="/lineage/total"]`)),
		chromedp.WaitVisible(chromedp.CSS("#lineage")))
	b.contains("#lineage", "total@"+short(set)+":/total", "count@"+short(set), "cat /pfs/count/*")
	b.screenshot("lineage")

	b.do("look at the DAG on a phone in the dark",
		chromedp.EmulateViewport(390, 844),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
			})
			return err
		}),
		chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(`a.node[data-name="total"]`)))
	b.screenshot("home-phone-dark")
}

func short(id string) string { return id[:10] }

// A running job shows live: the DAG and the pipelines table mark it
// running, and its page's progress moves as its datums finish, without a
// reload.
func TestConsoleShowsARunningJob(t *testing.T) {
	e := start(t)
	b := newBrowser(t, e)
	e.startSlow()
	b.do("open the DAG", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(`a.node[data-name="slow"]`)))
	c := e.putSlow()
	b.do("see the job run on the DAG", chromedp.Poll[chromedp.Void](`document.querySelector('a.node[data-name="slow"] .sub').textContent.includes("job running")`))
	b.contains(`#pipelines tbody tr:has(a[href="/pipelines/slow"]) td:nth-child(3)`, tusk.JobRunning)

	b.do("open the job", chromedp.Navigate(b.base+"/jobs/slow/"+c.ID), chromedp.WaitVisible(chromedp.CSS("#job-summary .counts")))
	var shown []string // the progress shown while the job runs, each change once
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the job page did not show SUCCESS in a minute; it showed %q", shown)
		}
		// One evaluation reads both, as a live update may swap the
		// summary between two queries.
		now, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
			`[document.querySelector("#job-summary .state").textContent, document.querySelector("#job-summary .counts").textContent]`))
		if err != nil {
			t.Fatalf("read the job's state and progress: %v", err)
		}
		if now[0] == tusk.JobSuccess {
			break
		}
		if len(shown) == 0 || shown[len(shown)-1] != now[1] {
			shown = append(shown, now[1])
		}
	}
	if len(shown) < 4 {
		t.Errorf("while the job ran its page showed %q: want its progress to change at least 3 times", shown)
	}
	b.contains("#job-summary .counts", "20 processed · 0 skipped · 0 failed / 20")
}
