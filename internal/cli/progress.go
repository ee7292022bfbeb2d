package cli

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressThreshold is the input size above which transfers show a
// progress bar (on a terminal only).
const progressThreshold = 4 << 20

// progress draws a byte progress bar while a transfer runs, polling a
// counter on a ticker.
type progress struct {
	bar  *progressbar.ProgressBar
	stop chan struct{}
	done chan struct{}
}

// startProgress shows a bar on w when show is set, updated from count; a
// negative total means the size is unknown. It returns nil, on which
// finish does nothing, when show is not set.
func startProgress(w io.Writer, show bool, desc string, total int64, count func() int64) *progress {
	if !show {
		return nil
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true), // starts the clock for the rate
	)
	p := &progress{bar: bar, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				bar.Set64(count())
				return
			case <-t.C:
				bar.Set64(count())
			}
		}
	}()
	return p
}

// finish stops the bar and clears it.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.bar.Finish()
}
