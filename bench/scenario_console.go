package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"path/filepath"
	"slices"
	"time"
)

var consoleScenario = scenario{
	name:  "console",
	title: "console pages with 10k commits and 100k datums",
	note: "An in-process server with the process runner holds a repo of 10k one-file commits (× scale, made one " +
		"after the other through the client while the job runs; neither is timed) and a finished job of 100k datums (× scale: one commit of as many " +
		"tiny files at the root of another repo, a pipeline with glob `/*`, command `sh -c :`, parallelism 2). " +
		"The HTTP client and the browser each open a console session first, through a one-time login link as `tusk up` prints. " +
		"Then plain HTTP GETs of the console's home page (`/`), the repo page of the long history (its newest 50 " +
		"commits), the job page (its first 50 datums) and the page of the job's middle datum: one untimed GET of " +
		"each, then 10 timed ones over a kept-alive loopback connection; each figure is the median time to the " +
		"first byte of the response and to its last (the whole page received), and the target is on the latter. " +
		"Then each page is loaded 1 + 5 times in headless Chromium (`$TUSK_TEST_BROWSER` or `chromium`; the row " +
		"says n/a without one) and the median time from the start of the navigation to the end of the load event " +
		"(page, CSS and script fetched, parsed and laid out: the full render) is shown too. " +
		"The baseline is the same measure of the server's `/healthz`, the floor of a round trip.",
	run: runConsole,
}

// consoleGets is how many timed GETs each page gets.
const consoleGets = 10

func runConsole(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 200 ms"
	dir, err := b.scratch("console")
	if err != nil {
		return nil, err
	}
	t, err := b.startPPS(ctx, filepath.Join(dir, "tusk"), "process")
	if err != nil {
		return nil, err
	}
	defer t.stop()
	commits, datums := b.count(10_000), b.count(100_000)
	d, err := buildConsoleData(ctx, b, t.client, commits, datums)
	if err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Jar: jar, Transport: &http.Transport{DisableCompression: true}}
	defer hc.CloseIdleConnections()
	base := t.client.Address()
	if _, _, _, err := getPage(ctx, hc, t.srv.LoginLink(base)); err != nil {
		return nil, fmt.Errorf("console login: %w", err)
	}
	floor, err := timePage(ctx, hc, base+"/healthz")
	if err != nil {
		return nil, fmt.Errorf("/healthz: %w", err)
	}
	job := "/jobs/" + url.PathEscape(d.pipeline) + "/" + url.PathEscape(d.job)
	pages := []struct{ name, shown, path string }{
		{"home", "/", "/"},
		{"repo", "/repos/" + d.repo, "/repos/" + url.PathEscape(d.repo)},
		{"job", "/jobs/" + d.pipeline + "/{job}", job},
		{"datum", "/jobs/" + d.pipeline + "/{job}/datums/{datum}", job + "/datums/" + url.PathEscape(d.datum)},
	}
	br := startBrowser(ctx, filepath.Join(dir, "chromium"))
	if br != nil {
		defer br.cancel()
		if err := br.open(t.srv.LoginLink(base)); err != nil {
			return nil, fmt.Errorf("console login in Chromium: %w", err)
		}
	}
	var rows []row
	for _, p := range pages {
		name := fmt.Sprintf("console %s page `%s` (%s commits, %s datums)", p.name, p.shown, countLabel(commits), countLabel(datums))
		b.log.Info("timing", "page", p.name, "path", p.path)
		pt, err := timePage(ctx, hc, base+p.path)
		if err != nil {
			rows = append(rows, errorRow(name, target, err))
			continue
		}
		shown := pt.String() + "; rendered: n/a (no Chromium)"
		if br != nil {
			r, err := br.render(base + p.path)
			if err != nil {
				rows = append(rows, errorRow(name, target, err))
				continue
			}
			shown = fmt.Sprintf("%s; rendered in Chromium in %s (load event, median of %d)", pt, shortTime(r), renderGets)
		}
		rows = append(rows, row{
			scenario: name,
			tusk:     shown,
			baseline: fmt.Sprintf("`/healthz`: full %s, first byte %s", shortTime(floor.full), shortTime(floor.ttfb)),
			ratio:    ratio(float64(pt.full), float64(floor.full)) + " of `/healthz`",
			target:   target,
			result:   verdict(pt.full <= 200*time.Millisecond),
		})
	}
	return rows, nil
}

// pageTime is what the timed GETs of a page took (medians, and the
// slowest), and the page's size.
type pageTime struct {
	ttfb, full, slowest time.Duration
	size                int64
}

func (p pageTime) String() string {
	return fmt.Sprintf("full %s, first byte %s (median of %d; slowest full %s; %s)",
		shortTime(p.full), shortTime(p.ttfb), consoleGets, shortTime(p.slowest), size(p.size))
}

// shortTime formats a short duration in microseconds below a millisecond,
// else in milliseconds.
func shortTime(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return ms(d)
}

// timePage GETs u once untimed, then consoleGets times timed.
func timePage(ctx context.Context, hc *http.Client, u string) (pageTime, error) {
	var ttfb, full []time.Duration
	var n int64
	for i := range consoleGets + 1 {
		first, all, got, err := getPage(ctx, hc, u)
		if err != nil {
			return pageTime{}, err
		}
		if i > 0 {
			ttfb, full, n = append(ttfb, first), append(full, all), got
		}
	}
	return pageTime{ttfb: quantile(ttfb, 0.5), full: quantile(full, 0.5), slowest: slices.Max(full), size: n}, nil
}

// getPage GETs u and returns the time to the first byte of the response, the
// time to its last, and the body's size; a status other than 200 is an
// error.
func getPage(ctx context.Context, hc *http.Client, u string) (time.Duration, time.Duration, int64, error) {
	var first time.Time
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { first = time.Now() }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	all := time.Since(start)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("GET %s: read body: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, 0, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return first.Sub(start), all, n, nil
}
