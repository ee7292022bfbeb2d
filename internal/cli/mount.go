package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/mount"
	"github.com/tuskdata/tusk/internal/tusk"
)

// mountOptions are the flags of `mount`.
type mountOptions struct {
	repos   []string
	write   bool
	cacheMB int
}

func newMountCommand(g *globals) *cobra.Command {
	var opts mountOptions
	cmd := &cobra.Command{
		Use:   "mount <dir>",
		Short: "Mount repos as local directories",
		Long: `Mount repos on an empty local directory (made when missing), one directory
per repo, and serve them until interrupted or until tusk unmount DIR.

Each repo shows one commit: --repos repo@branch (or repo@commit, or repo for
its master branch), or without --repos every repo at its master branch. A
branch is resolved to its head when the mount starts: commits made later do
not show until the next mount. File content is read from the server when it
is first read, and kept in a cache of --cache-mb MiB.

The mount is read-only unless --write: then what is written (files made,
changed, removed, renamed) is kept in a local staging directory and
committed when the mount ends (tusk unmount, or an interrupt), one commit per
repo that changed, on the branch it mounted. tusk unmount returns once the
commits are made. Empty directories are not kept: a repo holds files.

Needs FUSE: the kernel's /dev/fuse and the fusermount3 helper (Debian and
Ubuntu: apt-get install fuse3).`,
		Example: `  tusk mount ~/tusk &
  ls -R ~/tusk/images
  tusk unmount ~/tusk
  tusk mount /mnt/data --repos images@master,labels@4a3c5e6f7a8b4c9d8e7f6a5b4c3d2e1f
  tusk mount --write /mnt/data --repos images@master`,
		Args: exactArgs(1, "a local directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			specs, err := mountSpecs(opts.repos)
			if err != nil {
				return err
			}
			if opts.cacheMB < 1 {
				return usagef("--cache-mb %d: want at least 1 (MiB)", opts.cacheMB)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			return runMount(cmd.Context(), g, c, args[0], mount.Options{Repos: specs, Write: opts.write, CacheBytes: opts.cacheMB << 20})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&opts.repos, "repos", nil, "repos to mount, each repo@branch, repo@commit or repo (its master), comma-separated; default every repo")
	f.BoolVarP(&opts.write, "write", "w", false, "commit what is written into the mount when it ends")
	f.IntVar(&opts.cacheMB, "cache-mb", mount.DefaultCacheBytes>>20, "MiB of memory for cached file content")
	return cmd
}

// mountSpecs parses --repos.
func mountSpecs(args []string) ([]mount.Spec, error) {
	var specs []mount.Spec
	for _, a := range args {
		repo, ref, _ := strings.Cut(a, "@")
		if repo == "" || strings.Contains(a, ":") {
			return nil, usagef("--repos %q: want repo@branch, repo@commit or repo", a)
		}
		specs = append(specs, mount.Spec{Repo: repo, Ref: ref})
	}
	return specs, nil
}

func runMount(ctx context.Context, g *globals, c mount.Client, dir string, opts mount.Options) error {
	m, err := mount.Start(ctx, c, dir, opts)
	if errors.Is(err, mount.ErrNoFUSE) {
		return tusk.Errorf(tusk.KindUnavailable, "mount %s: %v", dir, err).
			WithHint("install FUSE (Debian, Ubuntu: apt-get install fuse3), and in a container pass --device /dev/fuse --cap-add SYS_ADMIN")
	}
	if err != nil {
		return err
	}
	for _, r := range m.Repos() {
		commit := r.Commit
		if commit == "" {
			commit = "no commit: empty"
		}
		fmt.Fprintf(g.stderr, "mounted %s@%s (%s)\n", r.Repo, r.Ref, commit)
	}
	fmt.Fprintf(g.stderr, "serving %s until interrupted or: tusk unmount %s\n", dir, dir)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			if err := m.Unmount(); err != nil {
				fmt.Fprintf(g.stderr, "error: %v\n", err)
			}
		case <-done:
		}
	}()
	m.Wait()
	close(done)
	saved, err := m.Save(context.WithoutCancel(ctx))
	for _, c := range saved {
		fmt.Fprintf(g.stderr, "committed %s@%s: %s\n", c.Repo, c.Branch, c.ID)
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return err
}

func newUnmountCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "unmount [<dir>]",
		Short: "Unmount a directory that tusk mount serves",
		Long: `Unmount the Tusk mount on DIR, or with --all every Tusk mount of this
machine; the tusk mount serving it then ends.`,
		Example: `  tusk unmount ~/tusk
  tusk unmount --all`,
		Args: rangeArgs(0, 1, "a mounted directory, or --all"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) {
				return usagef("give either a mounted directory or --all")
			}
			if !all {
				return mount.Unmount(args[0])
			}
			dirs, err := mount.Mounts()
			if err != nil {
				return err
			}
			for _, d := range dirs {
				if err := mount.Unmount(d); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "unmount every Tusk mount")
	return cmd
}
