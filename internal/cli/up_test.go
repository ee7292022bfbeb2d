package cli

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestCheckExposure(t *testing.T) {
	for _, tc := range []struct {
		listen         string
		insecure, auth bool
		ok             bool
	}{
		{"127.0.0.1:1650", false, false, true},
		{"127.0.0.2:0", false, false, true},
		{"localhost:1650", false, false, true},
		{"[::1]:1650", false, false, true},
		{"0.0.0.0:1650", false, true, true},
		{"10.1.2.3:1650", false, true, true},
		{"0.0.0.0:1650", false, false, false},
		{":1650", false, false, false},
		{"[::]:1650", false, false, false},
		{"10.1.2.3:1650", false, false, false},
		{"example.com:1650", false, false, false},
		{"0.0.0.0:1650", true, false, true},
		{":1650", true, false, true},
	} {
		err := checkExposure(tc.listen, tc.insecure, tc.auth)
		if (err == nil) != tc.ok {
			t.Errorf("checkExposure(%q, insecure=%v, auth=%v) = %v, want ok=%v", tc.listen, tc.insecure, tc.auth, err, tc.ok)
			continue
		}
		if err != nil && !(errors.Is(err, tusk.ErrInvalid) && strings.Contains(err.Error(), "pipelines run arbitrary code") &&
			strings.Contains(err.Error(), "tusk auth activate") && strings.Contains(err.Error(), "--insecure")) {
			t.Errorf("checkExposure(%q): the refusal should explain the risk and name tusk auth activate and --insecure: %v", tc.listen, err)
		}
	}
	if err := checkExposure("no-port", false, true); !errors.As(err, new(usageError)) {
		t.Errorf("checkExposure without a port = %v, want a usage error", err)
	}
}

func TestServerTLS(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts upOptions
		want server.TLSConfig
	}{
		{"loopback", upOptions{listen: "127.0.0.1:1650"}, server.TLSConfig{}},
		{"localhost", upOptions{listen: "localhost:1650"}, server.TLSConfig{}},
		{"beyond loopback", upOptions{listen: "0.0.0.0:1650"}, server.TLSConfig{SelfSigned: true}},
		{"a remote address", upOptions{listen: "10.1.2.3:1650"}, server.TLSConfig{SelfSigned: true}},
		{"beyond loopback, insecure", upOptions{listen: "0.0.0.0:1650", insecure: true}, server.TLSConfig{}},
		{"given, on loopback", upOptions{listen: "127.0.0.1:1650", tlsCert: "c.pem", tlsKey: "k.pem"}, server.TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"}},
		{"given, insecure", upOptions{listen: "0.0.0.0:1650", insecure: true, tlsCert: "c.pem", tlsKey: "k.pem"}, server.TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"}},
	} {
		got, err := serverTLS(tc.opts)
		if err != nil || got != tc.want {
			t.Errorf("%s: serverTLS = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, opts := range []upOptions{{listen: "127.0.0.1:1650", tlsCert: "c.pem"}, {listen: "127.0.0.1:1650", tlsKey: "k.pem"}} {
		if _, err := serverTLS(opts); !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "--tls-cert and --tls-key") {
			t.Errorf("serverTLS(%+v) = %v, want a usage error naming both flags", opts, err)
		}
	}
}

func TestDefaultDataDir(t *testing.T) {
	if got, _ := defaultDataDir(envOf(map[string]string{"TUSK_DATA_DIR": "/srv/tusk", "HOME": "/home/u"})); got != "/srv/tusk" {
		t.Errorf("with TUSK_DATA_DIR: %q", got)
	}
	if got, _ := defaultDataDir(envOf(map[string]string{"HOME": "/home/u"})); got != filepath.Join("/home/u", ".tusk", "data") {
		t.Errorf("with HOME: %q", got)
	}
}

func TestRunUpRefusesLimitsOfZero(t *testing.T) {
	opts := upOptions{dataDir: t.TempDir(), listen: "127.0.0.1:0", logLevel: "info", maxParallelism: 4, maxTotalParallelism: 8,
		maxDatums: 10, minCronInterval: 0, maxDatumLogBytes: 100}
	err := runUp(context.Background(), &globals{stderr: io.Discard, getenv: envOf(nil)}, opts)
	if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "--min-cron-interval") {
		t.Fatalf("runUp with --min-cron-interval 0 = %v, want a usage error naming the flag", err)
	}
}
