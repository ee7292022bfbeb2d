package worker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// RunAsInit is what the shim does when it starts as PID 1 in a container:
// it starts the worker again as its child, forwards signals to it, and
// reaps every process that ends up re-parented to PID 1 (orphans of user
// code), which an ordinary process never has to do. It returns when the
// worker exits.
func RunAsInit(args []string) error {
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Env = append(os.Environ(), "TUSK_INIT_CHILD=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start worker under init: %w", err)
	}
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for worker: %w", err)
		}
		if pid != cmd.Process.Pid {
			continue // an orphan, now reaped
		}
		if ws.Exited() && ws.ExitStatus() == 0 {
			return nil
		}
		return fmt.Errorf("worker ended: %v", ws)
	}
}

// IsInit reports whether this process should act as the container's init:
// it is PID 1 and not already the child RunAsInit started.
func IsInit() bool {
	return os.Getpid() == 1 && os.Getenv("TUSK_INIT_CHILD") == ""
}
