package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// printer writes a command's result as a table (the default) or as JSON:
// one object for an inspect, one object per line (NDJSON) for a list.
type printer struct {
	out  io.Writer
	json bool // structured output: JSON, or YAML if yaml is set
	yaml bool
	now  time.Time // relative times are computed from it
}

const outputHelp = "output format: json prints one JSON object, or for lists one JSON object per line (NDJSON); yaml prints the same as YAML documents; default is a table"

// addOutputFlag declares -o/--output on a list or inspect command, and
// pachctl's --raw, which is -o json.
func addOutputFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVarP(format, "output", "o", "", outputHelp)
	cmd.Flags().Var(rawFlag{format}, "raw", "print JSON, as pachctl's --raw (the same as -o json)")
	cmd.Flags().Lookup("raw").NoOptDefVal = "true"
}

// rawFlag is --raw: a boolean flag that sets the output format to json,
// unless -o gives one (pachctl's --raw -o yaml prints YAML).
type rawFlag struct{ format *string }

func (f rawFlag) String() string { return "false" }
func (f rawFlag) Type() string   { return "bool" }
func (f rawFlag) Set(v string) error {
	switch v {
	case "true":
		if *f.format == "" {
			*f.format = "json"
		}
	case "false":
	default:
		return fmt.Errorf("--raw takes no value")
	}
	return nil
}

// printer returns the printer for an -o value.
func (g *globals) printer(format string) (printer, error) {
	p := printer{out: g.stdout, now: g.now()}
	switch format {
	case "", "table":
	case "json":
		p.json = true
	case "yaml":
		p.json, p.yaml = true, true
	default:
		return p, usagef("unknown output format %q: want json or yaml (or table, the default)", format)
	}
	return p, nil
}

// table starts a table with a header row; Flush it when done.
func (p printer) table(header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(&trimWriter{w: p.out}, 0, 8, 3, ' ', 0)
	row(tw, header...)
	return tw
}

// trimWriter drops the blanks a table pads short last cells with, so that
// lines carry no trailing spaces. tabwriter writes a line in pieces, so it
// holds each line until its newline.
type trimWriter struct {
	w    io.Writer
	line []byte
}

func (t *trimWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b != '\n' {
			t.line = append(t.line, b)
			continue
		}
		t.line = append(bytes.TrimRight(t.line, " "), '\n')
		if _, err := t.w.Write(t.line); err != nil {
			return 0, err
		}
		t.line = t.line[:0]
	}
	return len(p), nil
}

// fields starts a two-column "Name: value" listing; Flush it when done.
func (p printer) fields() *tabwriter.Writer {
	return tabwriter.NewWriter(&trimWriter{w: p.out}, 0, 8, 1, ' ', 0)
}

// row writes one table row; tabs and line breaks inside cells become
// spaces so that they cannot break the layout.
func row(w io.Writer, cells ...string) {
	clean := make([]string, len(cells))
	for i, c := range cells {
		clean[i] = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, c)
	}
	fmt.Fprintln(w, strings.Join(clean, "\t"))
}

// object prints v as one indented JSON object.
func (p printer) object(v any) error {
	if p.yaml {
		return p.yamlDoc(v)
	}
	enc := json.NewEncoder(p.out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// line prints v as one line of NDJSON.
func (p printer) line(v any) error {
	if p.yaml {
		if _, err := io.WriteString(p.out, "---\n"); err != nil {
			return err
		}
		return p.yamlDoc(v)
	}
	enc := json.NewEncoder(p.out)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// yamlDoc prints v as a YAML document with the fields and names of its
// JSON form.
func (p printer) yamlDoc(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	y, err := jsonToYAML(b)
	if err != nil {
		return err
	}
	_, err = p.out.Write(y)
	return err
}

// jsonToYAML turns a JSON document into block-style YAML, keeping the
// order of its fields (JSON is YAML: its node tree is decoded as it is).
func jsonToYAML(b []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	blockStyle(&n)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	return out.Bytes(), enc.Close()
}

// blockStyle turns JSON's flow style into YAML's block style, all through.
func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0 && n.Tag == "!!str" {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// ago formats t relative to the printer's clock: "2 minutes ago".
func (p printer) ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return humanDuration(p.now.Sub(t)) + " ago"
}

// timestamp formats t in RFC 3339, in the printer's time zone, as pachctl
// prints a branch's creation.
func (p printer) timestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(p.now.Location()).Format(time.RFC3339)
}

// humanDuration formats d the way pachctl (docker's go-units) does.
func humanDuration(d time.Duration) string {
	seconds := int(d.Seconds())
	minutes := int(d.Minutes())
	hours := int(d.Hours() + 0.5)
	switch {
	case seconds < 1:
		return "less than a second"
	case seconds == 1:
		return "1 second"
	case seconds < 60:
		return fmt.Sprintf("%d seconds", seconds)
	case minutes == 1:
		return "about a minute"
	case minutes < 60:
		return fmt.Sprintf("%d minutes", minutes)
	case hours == 1:
		return "about an hour"
	case hours < 48:
		return fmt.Sprintf("%d hours", hours)
	case hours < 24*7*2:
		return fmt.Sprintf("%d days", hours/24)
	case hours < 24*30*2:
		return fmt.Sprintf("%d weeks", hours/24/7)
	case hours < 24*365*2:
		return fmt.Sprintf("%d months", hours/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

// humanSize formats a byte count with binary units: "512 B", "1.2 MiB".
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// orDash returns s, or "-" when it is empty, for table cells.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// list prints the items of a list command: as NDJSON lines, or as the rows
// of a table under header. Call flush at the end.
type list[T any] struct {
	p     printer
	tw    *tabwriter.Writer
	cells func(T) []string
	shape func(T) any // what a line of JSON holds; nil for the item itself
}

func newList[T any](p printer, header []string, cells func(T) []string) *list[T] {
	return newListAs(p, header, cells, nil)
}

// newListAs is newList whose JSON lines hold shape(item): Pachyderm's
// shape of Tusk's records (package pachapi).
func newListAs[T any](p printer, header []string, cells func(T) []string, shape func(T) any) *list[T] {
	l := &list[T]{p: p, cells: cells, shape: shape}
	if !p.json {
		l.tw = p.table(header...)
	}
	return l
}

func (l *list[T]) add(v T) error {
	switch {
	case l.p.json && l.shape != nil:
		return l.p.line(l.shape(v))
	case l.p.json:
		return l.p.line(v)
	}
	row(l.tw, l.cells(v)...)
	return nil
}

func (l *list[T]) flush() error {
	if l.tw == nil {
		return nil
	}
	return l.tw.Flush()
}

// printAll prints a whole list.
func printAll[T any](p printer, header []string, cells func(T) []string, items []T) error {
	return printAllAs(p, header, cells, nil, items)
}

// as turns a conversion into a list's shape.
func as[T, S any](f func(T) S) func(T) any {
	return func(v T) any { return f(v) }
}

// printAllAs prints a whole list whose JSON lines hold shape(item).
func printAllAs[T any](p printer, header []string, cells func(T) []string, shape func(T) any, items []T) error {
	l := newListAs(p, header, cells, shape)
	for _, v := range items {
		if err := l.add(v); err != nil {
			return err
		}
	}
	return l.flush()
}
