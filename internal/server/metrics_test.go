package server

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
)

// TestMetricsCountMetadataTransactions: /metrics shows the metadata
// store's transactions, and a write request adds to them.
func TestMetricsCountMetadataTransactions(t *testing.T) {
	_, addr, token := startTestServer(t, Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: "/bin/false"})
	writes := func() float64 {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^tusk_meta_transactions_total\{kind="write"\} (\S+)$`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("/metrics has no tusk_meta_transactions_total{kind=\"write\"}:\n%s", body)
		}
		v, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := writes()
	c, _ := client.New(addr, client.WithToken(token))
	if _, err := c.CreateRepo(t.Context(), "counted", ""); err != nil {
		t.Fatal(err)
	}
	if after := writes(); after <= before {
		t.Errorf("write transactions %v before creating a repo, %v after", before, after)
	}
}
