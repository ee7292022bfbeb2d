package worker

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/tuskdata/tusk/internal/proctree"
)

// initChildEnv marks the worker that RunAsInit starts.
const initChildEnv = "TUSK_INIT_CHILD"

// RunAsInit starts the worker again as its child and watches over it: it
// forwards signals to it, as a child subreaper reaps every process that
// ends up re-parented to it (orphans of user code), and when the worker
// ends, killed or not, kills whatever it left running. It returns when
// the worker exits.
func RunAsInit(args []string) error {
	h := proctree.Open(slog.New(slog.NewTextHandler(io.Discard, nil)), proctree.Subreaper)
	tree, err := h.New("worker")
	if err != nil {
		return fmt.Errorf("start worker under init: %w", err)
	}
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Env = append(os.Environ(), initChildEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	if err := tree.Start(cmd); err != nil {
		return fmt.Errorf("start worker under init: %w", err)
	}
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	if err := tree.Wait(); err != nil {
		return fmt.Errorf("worker ended: %w", err)
	}
	return nil
}

// IsInit reports whether this process should start the worker under
// RunAsInit rather than be the worker: as PID 1 of a container, which
// must reap orphans; and where the worker could keep its datums'
// processes together only as a subreaper, which a killed worker no
// longer is, so that they end with it all the same.
func IsInit() bool {
	if os.Getenv(initChildEnv) != "" {
		return false
	}
	return os.Getpid() == 1 || proctree.Open(slog.New(slog.NewTextHandler(io.Discard, nil))).Mode() == proctree.Subreaper
}
