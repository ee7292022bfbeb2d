package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/tuskdata/tusk/internal/tusk"
)

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	"short":        short,
	"entryName":    entryName,
	"when":         when,
	"duration":     duration,
	"bytes":        formatBytes,
	"tone":         tone,
	"pipelineTone": pipelineTone,
	"argv":         argv,
	"bar":          bar,
	"pretty":       pretty,
	"jobDone":      tusk.JobDone,
	"repoURL":      repoURL,
	"commitURL":    commitURL,
	"filesURL":     filesURL,
	"rawURL":       rawURL,
	"lineageURL":   lineageURL,
	"diffURL":      diffURL,
	"pipelineURL":  pipelineURL,
	"jobURL":       jobURL,
	"datumURL":     datumURL,
}

// short abbreviates a commit, job or datum ID.
func short(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}

// when formats a time (a time.Time or a *time.Time), or a dash for none.
func when(t any) string {
	if v := timeOf(t); !v.IsZero() {
		return v.UTC().Format("2006-01-02 15:04:05")
	}
	return "—"
}

// duration formats the time between start (a time.Time or a *time.Time)
// and end, or from start to now while end is nil.
func duration(start any, end *time.Time) string {
	s := timeOf(start)
	switch {
	case s.IsZero():
		return "—"
	case end == nil:
		return roundDuration(time.Since(s)) + " so far"
	}
	return roundDuration(end.Sub(s))
}

func timeOf(t any) time.Time {
	switch v := t.(type) {
	case time.Time:
		return v
	case *time.Time:
		if v != nil {
			return *v
		}
	}
	return time.Time{}
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// formatBytes formats a size with a binary unit.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// tone groups the states of commits, jobs, datums and pipelines into the
// four colours of the console.
func tone(state string) string {
	switch state {
	case tusk.JobSuccess, tusk.CommitFinished, tusk.PipelineStandby:
		return "ok"
	case tusk.JobFailure, tusk.DatumFailed, tusk.JobKilled, tusk.JobUnrunnable, tusk.PipelineCrashing:
		return "bad"
	case tusk.DatumSkipped, tusk.PipelinePaused, tusk.DatumRecovered, "":
		return "idle"
	}
	return "busy"
}

// argv writes a command line as a shell would read it, quoting the
// arguments that need it.
func argv(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsFunc(a, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_./=:,+@%", r)
		}) {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// percent is n out of total as a length in percent.
func percent(n, total int64) string {
	if total <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}

// segment is one part of a progress bar: its class, where it starts and
// how wide it is, in percent of the bar.
type segment struct {
	Class, X, Width string
}

// bar returns the segments of a job's progress bar, drawn as SVG
// rectangles, which take their sizes as attributes: the pages' content
// policy allows no style attributes.
func bar(processed, skipped, failed, total int64) []segment {
	return []segment{
		{"ok", "0%", percent(processed, total)},
		{"idle", percent(processed, total), percent(skipped, total)},
		{"bad", percent(processed+skipped, total), percent(failed, total)},
	}
}

// pretty indents JSON.
func pretty(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

func repoURL(repo string) string { return "/repos/" + url.PathEscape(repo) }

func commitURL(repo, id string) string { return repoURL(repo) + "/commits/" + url.PathEscape(id) }

func diffURL(repo, id string) string { return commitURL(repo, id) + "/diff" }

// filesURL is the file browser at a path ("/" for the root).
func filesURL(repo, id, path string) string { return commitURL(repo, id) + "/files" + escapePath(path) }

// rawURL serves a file's content.
func rawURL(repo, id, path string) string { return commitURL(repo, id) + "/raw" + escapePath(path) }

// lineageURL shows where a file came from.
func lineageURL(repo, id, path string) string {
	return commitURL(repo, id) + "/lineage" + escapePath(path)
}

func pipelineURL(name string) string { return "/pipelines/" + url.PathEscape(name) }

func jobURL(pipeline, id string) string {
	return "/jobs/" + url.PathEscape(pipeline) + "/" + url.PathEscape(id)
}

func datumURL(pipeline, job, datum string) string {
	return jobURL(pipeline, job) + "/datums/" + url.PathEscape(datum)
}

// escapePath escapes each element of a file path, keeping the slashes.
func escapePath(p string) string {
	if p == "" {
		return "/"
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
