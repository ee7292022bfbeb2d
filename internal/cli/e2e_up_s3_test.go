package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestE2EUpServesS3 checks that tusk up serves the S3 gateway where
// --s3-addr says, and says where; internal/s3gw tests the gateway itself.
func TestE2EUpServesS3(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	addr := freeAddr(t)
	u := tusktest.StartUp(t, tuskBin, "--s3-addr", addr)
	if logs := u.Logs.String(); !strings.Contains(logs, "S3:       http://"+addr) {
		t.Errorf("tusk up does not say where the S3 gateway listens:\n%s", logs)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Authentication is on: an unsigned request is refused, the S3 way.
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
		t.Errorf("GET / of the gateway = %d %s; want 403 and an S3 AccessDenied document", resp.StatusCode, body)
	}
	out := runUpOnce(t, "--data-dir", t.TempDir(), "--s3-addr", "nohost")
	if !strings.Contains(out, `--s3-addr "nohost": want host:port`) {
		t.Errorf("tusk up --s3-addr nohost said:\n%s", out)
	}
}
