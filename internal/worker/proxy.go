package worker

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// apiProxy forwards the connections of a spout's command to the server's
// Unix socket, which the command may not reach: on the process runner the
// socket lies in the server's data directory, closed to the user the
// command runs as. The proxy's own socket is the command's user's alone,
// and the command still needs the worker's token.
type apiProxy struct {
	ln   net.Listener
	path string
}

// proxyAPI returns env with a $TUSK_ADDRESS of a Unix socket (unix://…)
// replaced by a proxy's, which as may use, and the proxy; nil when none
// is needed: commands that run as the worker's user (as is nil) reach
// what it reaches, as in containers, whose every user has the socket's
// group. Close it when the command is done.
func (w *worker) proxyAPI(env []string, as *runAs) ([]string, *apiProxy, error) {
	if as == nil {
		return env, nil, nil
	}
	i, target := -1, ""
	for j, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TUSK_ADDRESS=unix://"); ok {
			i, target = j, v
		}
	}
	if i < 0 {
		return env, nil, nil
	}
	path := filepath.Join(os.TempDir(), "tusk-api-"+w.cfg.ID+".sock")
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, nil, err
	}
	p := &apiProxy{ln: ln, path: path}
	if err := os.Chown(path, int(as.cred.Uid), int(as.cred.Gid)); err != nil {
		p.close()
		return nil, nil, err
	}
	go p.serve(target)
	env = append(env[:i:i], env[i+1:]...)
	return append(env, "TUSK_ADDRESS=unix://"+path), p, nil
}

// serve forwards each connection to the socket at target until closed.
func (p *apiProxy) serve(target string) {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var d net.Dialer
			s, err := d.DialContext(context.Background(), "unix", target)
			if err != nil {
				return
			}
			defer s.Close()
			done := make(chan struct{})
			go func() {
				io.Copy(s, c)
				s.(*net.UnixConn).CloseWrite()
				close(done)
			}()
			io.Copy(c, s)
			c.(*net.UnixConn).CloseWrite()
			<-done
		}()
	}
}

// close stops the proxy; connections in flight go on to their end.
func (p *apiProxy) close() {
	p.ln.Close()
	os.Remove(p.path)
}
