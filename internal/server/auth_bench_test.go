package server

import (
	"context"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
)

// BenchmarkSmallRequest measures what authentication adds to a small
// request (inspect a repo over TCP): a lookup of the token's hash and of
// its subject's roles.
func BenchmarkSmallRequest(b *testing.B) {
	for _, on := range []bool{true, false} {
		name := "auth"
		if !on {
			name = "no-auth"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, addr, _ := serveWith(b, Config{DataDir: b.TempDir()})
			token, _, err := s.AdminToken(ctx, "")
			if err != nil {
				b.Fatal(err)
			}
			if !on {
				if err := s.auth.Deactivate(ctx); err != nil {
					b.Fatal(err)
				}
				s.authActive.Store(false)
			}
			c, err := client.New(addr, client.WithToken(token))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.CreateRepo(ctx, "r", ""); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := c.InspectRepo(ctx, "r"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
