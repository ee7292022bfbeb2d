package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// renderGets is how many times a page is loaded in the browser.
const renderGets = 5

// browser loads pages in a headless Chromium to time their full render.
type browser struct {
	ctx    context.Context
	cancel func()
}

// startBrowser starts Chromium: $TUSK_TEST_BROWSER (as .ci/browser.sh
// prints it), else chromium on the PATH. It returns nil when there is
// none.
func startBrowser(ctx context.Context, dir string) *browser {
	exe := os.Getenv("TUSK_TEST_BROWSER")
	if exe == "" {
		exe, _ = exec.LookPath("chromium")
	}
	if exe == "" {
		return nil
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900))
	tab, cancelTab := chromedp.NewContext(alloc)
	cancel := func() { cancelTab(); cancelAlloc() }
	// The first action starts the browser, whose life is that of the
	// context it runs on: the tab's, not a page load's.
	if err := chromedp.Do(tab); err != nil {
		cancel()
		return nil
	}
	return &browser{ctx: tab, cancel: cancel}
}

// open loads u once, untimed: the console's login link, which leaves
// the session's cookie in the browser.
func (b *browser) open(u string) error {
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return fmt.Errorf("open %s: %w", u, err)
	}
	return nil
}

// render loads u renderGets times after one untimed load and returns the
// median time from the start of the navigation to the end of the load
// event (the page, its CSS and scripts fetched, parsed and laid out), as
// the browser's Navigation Timing reports it.
func (b *browser) render(u string) (time.Duration, error) {
	var times []time.Duration
	for i := range renderGets + 1 {
		ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
		err := chromedp.Do(ctx, chromedp.Navigate(u))
		var ms float64
		if err == nil {
			ms, err = chromedp.Run(ctx, chromedp.Evaluate[float64](
				`(() => { const n = performance.getEntriesByType("navigation")[0]; return n.loadEventEnd - n.startTime; })()`))
		}
		cancel()
		if err != nil {
			return 0, fmt.Errorf("render %s: %w", u, err)
		}
		if i > 0 {
			times = append(times, time.Duration(ms*float64(time.Millisecond)))
		}
	}
	return quantile(times, 0.5), nil
}
