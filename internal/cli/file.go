package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

var fileHeader = []string{"NAME", "TYPE", "SIZE"}

func fileCells(fi tusk.FileInfo) []string {
	name := fi.Path
	if fi.Type == "dir" && !strings.HasSuffix(name, "/") {
		name += "/"
	}
	return []string{name, fi.Type, humanSize(fi.SizeBytes)}
}

func newListFileCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "file <repo>@<ref>[:<dir>]",
		Short: "List the files in a directory",
		Long: `List the files and directories in a directory of a commit, one level deep.
Directories end with '/' and show the size of everything under them.

` + outputHelp + ".",
		Example: "  tusk list file images@master\n  tusk list file images@master^:/photos",
		Args:    exactArgs(1, "repo@ref[:/dir]"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			l := newListAs(p, fileHeader, fileCells, fileShape(args[0]))
			if err := c.ListFiles(ctx, args[0], "", 0, l.add); err != nil {
				return err
			}
			return l.flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newGlobFileCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "file \"<repo>@<ref>:<pattern>\"",
		Short: "List the files and directories matching a glob pattern",
		Long: `List the files and directories of a commit that match a glob pattern, the
same patterns pipelines use to cut their input into datums: * matches within
one path element, ** across elements, ? one character, [a-z] a class.
Quote the argument so that the shell leaves the pattern alone.

` + outputHelp + ".",
		Example: `  tusk glob file "images@master:/*.png"
  tusk glob file "images@master:/**/*.csv"`,
		Args: exactArgs(1, "repo@ref:pattern"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			commit, pattern, err := needPath("glob file", args[0])
			if err != nil {
				return err
			}
			l := newListAs(p, fileHeader, fileCells, fileShape(commit))
			if err := c.GlobFiles(ctx, commit, pattern, l.add); err != nil {
				return err
			}
			return l.flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newInspectFileCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "file <repo>@<ref>:<path>",
		Short: "Show a file's details",
		Long:  "Show a file's (or directory's) type, size, content hash and commit.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "repo@ref:/path"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			if _, _, err := needPath("inspect file", args[0]); err != nil {
				return err
			}
			fi, err := c.InspectFile(ctx, args[0])
			if err != nil {
				return err
			}
			return printFile(p, fileCommit(args[0]), fi)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// fileShape is a file of the commit that arg names, as pachctl prints it in
// JSON.
func fileShape(arg string) func(tusk.FileInfo) any {
	commit := fileCommit(arg)
	return func(fi tusk.FileInfo) any { return pachapi.FileInfoFrom(commit, fi) }
}

// printFile prints fi, a file of commit.
func printFile(p printer, commit pachapi.Commit, fi tusk.FileInfo) error {
	if p.json {
		return p.object(pachapi.FileInfoFrom(commit, fi))
	}
	tw := p.fields()
	row(tw, "Path:", fi.Path)
	row(tw, "Type:", fi.Type)
	size := humanSize(fi.SizeBytes)
	if fi.SizeBytes >= 1024 {
		size += fmt.Sprintf(" (%d bytes)", fi.SizeBytes)
	}
	row(tw, "Size:", size)
	if fi.Type == "dir" {
		row(tw, "Files:", fmt.Sprint(fi.Files))
	} else {
		row(tw, "Hash:", orDash(fi.Hash))
	}
	row(tw, "Commit:", orDash(fi.Commit))
	return tw.Flush()
}

func newCopyFileCommand(g *globals) *cobra.Command {
	var appendTo bool
	var srcProject, dstProject string
	cmd := &cobra.Command{
		Use:   "file <src-repo>@<ref>:<path> <dst-repo>@<branch>[:<path>]",
		Short: "Copy a file or directory on the server, without moving data",
		Long: `Copy a file or directory into a branch as one commit (or into its open
commit). The copy refers to the source's stored data, so nothing is
downloaded or uploaded, even across repos and projects. Without a
destination path the source's path is used. The repos are of the project
(--project, else the context's), or of --src-project and --dest-project.`,
		Example: "  tusk copy file images@master:/cat.png backup@master:/2024/cat.png\n" +
			"  tusk copy file images@master:/cat.png images@master:/cat.png --src-project lab --dest-project default",
		Args: exactArgs(2, "a source repo@ref:/path and a destination repo@branch[:/path]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := inProject(args[0], srcProject)
			if err != nil {
				return err
			}
			_, srcPath, err := needPath("copy file", src)
			if err != nil {
				return err
			}
			target, err := inProject(args[1], dstProject)
			if err != nil {
				return err
			}
			dst, dstPath, ok := splitFileArg(target)
			if !ok || dstPath == "" {
				dstPath = srcPath
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			u, err := c.NewUpload(cmd.Context())
			if err != nil {
				return err
			}
			u.CopyFile(src, dstPath, appendTo)
			if _, err := u.Commit(dst); err != nil {
				return fmt.Errorf("copy file %s: %w", src, err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&appendTo, "append", "a", false, "append to existing files instead of overwriting them")
	cmd.Flags().StringVar(&srcProject, "src-project", "", "the project of the source repo (default: the project)")
	cmd.Flags().StringVar(&dstProject, "dest-project", "", "the project of the destination repo (default: the project)")
	return cmd
}

// inProject is the reference ref (repo@…) to a repo of project: ref
// itself when project is empty; a ref that names another is refused.
func inProject(ref, project string) (string, error) {
	if project == "" {
		return ref, nil
	}
	if err := tusk.ValidateProjectName(project); err != nil {
		return "", err
	}
	repo, _, _ := strings.Cut(ref, "@")
	if named, _, ok := strings.Cut(repo, "/"); ok {
		if named != project {
			return "", usagef("%s names project %s, and the flag %s", ref, named, project)
		}
		return ref, nil
	}
	return project + "/" + ref, nil
}

func newDeleteFileCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "file <repo>@<branch>:<path>",
		Short: "Delete a file or directory",
		Long: `Delete a file or a directory with everything in it, as one new commit (or in
the branch's open commit). The path / deletes every file.`,
		Args: exactArgs(1, "repo@branch:/path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			commit, p, err := needPath("delete file", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			u, err := c.NewUpload(cmd.Context())
			if err != nil {
				return err
			}
			u.DeleteFile(p)
			if _, err := u.Commit(commit); err != nil {
				return fmt.Errorf("delete file %s: %w", args[0], err)
			}
			return nil
		},
	}
	// pachctl's scripts give -r for directories; here a directory is
	// deleted with everything in it whether or not it is given.
	cmd.Flags().BoolP("recursive", "r", false, "accepted for pachctl's scripts: a directory is deleted with everything in it either way")
	return cmd
}
