package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newEditPipelineCommand(g *globals) *cobra.Command {
	var editor, format string
	var reprocess bool
	cmd := &cobra.Command{
		Use:   "pipeline <pipeline> [--editor CMD] [-o json|yaml] [--reprocess]",
		Short: "Edit a pipeline's spec in your editor, then update it",
		Long: `Open the pipeline's current spec in an editor ($EDITOR, else vi; or
--editor), as JSON or, with -o yaml, YAML. When the editor exits, the spec is
updated as tusk update pipeline would (with --reprocess, every datum runs
again); if it was not changed, nothing happens. A spec the server refuses is
kept in a file whose name the error gives, to edit again.`,
		Example: `  tusk edit pipeline edges
  EDITOR=nano tusk edit pipeline edges -o yaml --reprocess`,
		Args: exactArgs(1, "a pipeline name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.editPipeline(cmd.Context(), args[0], editor, format, reprocess)
		},
	}
	cmd.Flags().StringVar(&editor, "editor", "", "the editor command (default $EDITOR, else vi)")
	cmd.Flags().StringVarP(&format, "output", "o", "json", "the format to edit the spec in: json or yaml")
	cmd.Flags().BoolVar(&reprocess, "reprocess", false, "run every datum again with the new spec, even those processed before")
	return cmd
}

func (g *globals) editPipeline(ctx context.Context, name, editor, format string, reprocess bool) error {
	if err := g.noTxn("edit pipeline"); err != nil {
		return err
	}
	if format != "json" && format != "yaml" {
		return usagef("-o %q: want json or yaml", format)
	}
	if editor == "" {
		editor = g.getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	pi, err := c.InspectPipeline(ctx, name)
	if err != nil {
		return err
	}
	before, err := specText(pi.Spec, format)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tusk-edit-")
	if err != nil {
		return err
	}
	kept := false // a refused edit stays for another try
	defer func() {
		if !kept {
			os.RemoveAll(dir)
		}
	}()
	file := filepath.Join(dir, name+"."+format)
	if err := os.WriteFile(file, before, 0o600); err != nil {
		return err
	}
	// The editor may be a command with arguments ("code --wait").
	ed := exec.CommandContext(ctx, "sh", "-c", editor+` "$1"`, "sh", file)
	ed.Stdin, ed.Stdout, ed.Stderr = g.stdin, g.stdout, g.stderr
	if err := ed.Run(); err != nil {
		return fmt.Errorf("editor %s: %w", editor, err)
	}
	after, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if bytes.Equal(before, after) {
		fmt.Fprintf(g.stderr, "pipeline %s unchanged\n", name)
		return nil
	}
	if _, err := c.CreatePipeline(ctx, after, true, reprocess, false); err != nil {
		kept = true
		return fmt.Errorf("%w\n  your edit is kept in %s: fix it and run tusk update pipeline -f %s", err, file, file)
	}
	fmt.Fprintf(g.stderr, "pipeline %s updated\n", name)
	return nil
}

// specText formats a spec (JSON) for editing: indented JSON, or YAML with
// the fields in the same order.
func specText(spec json.RawMessage, format string) ([]byte, error) {
	if format == "json" {
		var b bytes.Buffer
		if err := json.Indent(&b, spec, "", "  "); err != nil {
			return nil, fmt.Errorf("the server's spec: %w", err)
		}
		b.WriteByte('\n')
		return b.Bytes(), nil
	}
	y, err := jsonToYAML(spec)
	if err != nil {
		return nil, fmt.Errorf("the server's spec: %w", err)
	}
	return y, nil
}
