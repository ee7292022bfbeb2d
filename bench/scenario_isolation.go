package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/client"
)

var isolationScenario = scenario{
	name:  "isolation",
	title: "per-datum cost of the process runner's isolation",
	note: "The datums scenario's pipeline (10k × scale one-file datums, `wc -w` into `$PFS/out`, parallelism 2, process runner) on " +
		"two servers side by side, their rounds alternating: an in-process server run as root, whose workers run each " +
		"command as nobody (a uid switch, `/pfs/out` handed to that user) in a cgroup of its own (or a PID namespace) " +
		"and in a private mount namespace; and a `tusk up` process of the same binary run as the unprivileged user " +
		"nobody, whose commands run as the worker itself, with no user to switch to, no cgroup, PID or mount " +
		"namespace, kept together by the worker as a child subreaper (which finds what a datum left running by " +
		"reading /proc, so it is no free baseline: that is what Tusk does where it may not isolate). Each figure is " +
		"the median over -rounds of the time from the input commit's return to WaitCommit's, per datum, and of a " +
		"datum's time on its worker from claim to result. Needs root.",
	run: runIsolation,
}

// unprivileged is the user the server without isolation runs as: nobody.
const unprivileged = 65534

func runIsolation(ctx context.Context, b *bench) ([]row, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("needs root: the isolation it measures (a uid switch, cgroups) is root's")
	}
	in, n, isolated, err := startWithWords(ctx, b, "isolation")
	if err != nil {
		return nil, err
	}
	defer isolated.stop()
	plain, err := b.startUnprivileged(ctx, filepath.Join(filepath.Dir(in), "plain"))
	if err != nil {
		return nil, err
	}
	defer plain.stop()
	var with, without, withBusy, withoutBusy samples
	for round := 1; round <= b.cfg.rounds; round++ {
		b.log.Info("isolated", "round", round, "datums", n)
		r, busy, err := datumsOnce(ctx, isolated.client, round, in, n, "$PFS/out")
		if err != nil {
			return nil, fmt.Errorf("isolated: %w", err)
		}
		with.add(r.wall, nil)
		withBusy.add(busy, nil)
		b.log.Info("not isolated", "round", round, "datums", n)
		r, busy, err = datumsOnce(ctx, plain.client, round, in, n, "$PFS/out")
		if err != nil {
			return nil, fmt.Errorf("not isolated: %w", err)
		}
		without.add(r.wall, nil)
		withoutBusy.add(busy, nil)
	}
	return []row{{
		scenario: fmt.Sprintf("%s one-file datums, process runner isolation (uid switch, cgroup or PID namespace per datum)", countLabel(n)),
		tusk: fmt.Sprintf("as root, commands as nobody: %s/datum (%s%s; on its worker %s)",
			perDatum(with.median(), n), secs(with.median()), semi(datumSpread(&with, n)), ms(withBusy.median())),
		baseline: fmt.Sprintf("tusk up as nobody, no isolation, a subreaper: %s/datum (%s%s; on its worker %s)",
			perDatum(without.median(), n), secs(without.median()), semi(datumSpread(&without, n)), ms(withoutBusy.median())),
		ratio:  ratio(float64(with.median()), float64(without.median())) + " of without",
		target: "≤ 1.2× without",
		result: verdict(float64(with.median()) <= 1.2*float64(without.median())),
	}}, nil
}

// upProcess is `tusk up` run as another user.
type upProcess struct {
	cmd    *exec.Cmd
	client *client.Client
}

// startUnprivileged runs `tusk up` of the worker binary as nobody, with
// the process runner, on a fresh data directory dir, and waits until it
// answers. Nobody must reach the binary: the work directory is opened to
// every user.
func (b *bench) startUnprivileged(ctx context.Context, dir string) (*upProcess, error) {
	bin, err := b.workerBinary(ctx)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(b.dir, 0o755); err != nil {
		return nil, fmt.Errorf("open the work directory to nobody: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chown(dir, unprivileged, unprivileged); err != nil {
		return nil, fmt.Errorf("give %s to nobody: %w", dir, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, for tusk up to take
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "up", "--data-dir", filepath.Join(dir, "data"), "--listen", addr, "--runner", "process",
		"--gc-interval", "0", "--log-level", "warn")
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TMPDIR=" + dir}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: unprivileged, Gid: unprivileged}}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start tusk up as uid %d: %w", unprivileged, err)
	}
	p := &upProcess{cmd: cmd}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		// tusk up writes the admin's token into the CLI config of its
		// user (HOME is dir) once it listens.
		token, err := configToken(filepath.Join(dir, ".config", "tusk", "config.json"))
		if err == nil {
			if p.client, err = client.New(addr, client.WithToken(token)); err != nil {
				p.stop()
				return nil, err
			}
			if _, err = p.client.ListRepos(ctx); err == nil {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("tusk up as uid %d does not answer on %s: %w", unprivileged, addr, err)
		}
	}
}

// configToken reads the token of the active context of a CLI config file.
func configToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var c struct {
		Active   string `json:"active_context"`
		Contexts map[string]struct {
			Token string `json:"token"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if t := c.Contexts[c.Active].Token; t != "" {
		return t, nil
	}
	return "", fmt.Errorf("%s: no token in context %q", path, c.Active)
}

// stop terminates tusk up and waits for it.
func (p *upProcess) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop tusk up: %w", err)
	}
	if err := p.cmd.Wait(); err != nil {
		return fmt.Errorf("tusk up as uid %d: %w", unprivileged, err)
	}
	return nil
}
