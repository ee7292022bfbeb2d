package server

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
)

// BenchmarkPutSmallFiles puts 1,000 files of a few words in one commit,
// as tusk up serves beyond loopback (TLS, authentication on) and as it
// serves on loopback with authentication off, to show what those cost.
// Both run in this process, so besides the time it reports the process's
// CPU time per put (cpu-ns/op), which a busy machine disturbs less.
func BenchmarkPutSmallFiles(b *testing.B) {
	for _, secure := range []bool{true, false} {
		name := "tls+auth"
		if !secure {
			name = "plain"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			cfg := Config{DataDir: b.TempDir()}
			if secure {
				cfg.TLS = TLSConfig{SelfSigned: true}
			}
			s, addr, _ := serveWith(b, cfg)
			var opts []client.Option
			if secure {
				token, _, err := s.AdminToken(ctx, "")
				if err != nil {
					b.Fatal(err)
				}
				cert, _ := s.Certificate()
				addr, opts = "https://"+addr, []client.Option{client.WithToken(token), client.ServerFingerprint(cert.Fingerprint)}
			} else {
				if err := s.auth.Deactivate(ctx); err != nil {
					b.Fatal(err)
				}
				s.authActive.Store(false)
			}
			c, err := client.New(addr, opts...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.CreateRepo(ctx, "r", ""); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu := processCPU(b)
			for i := range b.N {
				up, err := c.NewUpload(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for f := range 1000 {
					content := fmt.Appendf(nil, "file %d of round %d of the put benchmark\n", f, i)
					if err := up.PutFile(fmt.Sprintf("/f%04d.txt", f), bytes.NewReader(content), false); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := up.Commit("r@master"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time, user and system, this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
