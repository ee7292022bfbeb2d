package s3gw_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// sha256Hasher is SHA-256 as minio-go's streaming signer takes a hasher.
type sha256Hasher struct{ hash.Hash }

func (sha256Hasher) Close() {}

// s3Status sends a request to the gateway and returns its status and
// body.
func s3Status(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSigV4(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	e.put(t, "sec", "master", map[string]string{"a.txt": "secret a"})
	e.put(t, "other", "master", map[string]string{"o.txt": "o"})
	reader, err := e.c.RobotToken(ctx, "reader", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.SetRoles(ctx, "sec", "robot:reader", []string{"repoReader"}); err != nil {
		t.Fatal(err)
	}

	admin := minioClient(t, e, e.token, e.token)
	if got := readObject(t, admin, "sec", "a.txt"); got != "secret a" {
		t.Errorf("admin read %q", got)
	}
	// minio-go signs a put over plain HTTP chunk by chunk
	// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: 16 signed chunks of 64 KiB
	if _, err := admin.PutObject(ctx, "sec", "big.bin", bytes.NewReader(big), int64(len(big)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("signed streaming put: %v", err)
	}
	if got := readObject(t, admin, "sec", "big.bin"); got != string(big) {
		t.Errorf("big.bin read back differs (%d bytes)", len(got))
	}

	ro := minioClient(t, e, reader.Token, reader.Token)
	buckets, err := ro.ListBuckets(ctx)
	if err != nil || len(buckets) != 1 || buckets[0].Name != "master.sec" {
		t.Errorf("the reader's buckets = %v, %v; want only master.sec", buckets, err)
	}
	if got := readObject(t, ro, "sec", "a.txt"); got != "secret a" {
		t.Errorf("reader read %q", got)
	}
	if _, err := ro.PutObject(ctx, "sec", "b.txt", strings.NewReader("b"), 1, minio.PutObjectOptions{}); s3Code(err) != "AccessDenied" {
		t.Errorf("a reader's put = %v; want AccessDenied", err)
	}
	if _, err := ro.StatObject(ctx, "other", "o.txt", minio.StatObjectOptions{}); minio.ToErrorResponse(err).StatusCode != http.StatusForbidden {
		t.Errorf("a read of a repo without a role = %v; want 403", err)
	}
	wrong := minioClient(t, e, reader.Token, "not-the-token")
	if _, err := wrong.ListBuckets(ctx); s3Code(err) != "SignatureDoesNotMatch" {
		t.Errorf("a wrong secret = %v; want SignatureDoesNotMatch", err)
	}
	stranger := minioClient(t, e, "not-a-token", "not-a-token")
	if _, err := stranger.ListBuckets(ctx); s3Code(err) != "InvalidAccessKeyId" {
		t.Errorf("an unknown access key = %v; want InvalidAccessKeyId", err)
	}
	if code, body := s3Status(t, mustRequest(t, http.MethodGet, e.s3+"/sec/a.txt", nil)); code != http.StatusForbidden || !strings.Contains(body, "AccessDenied") {
		t.Errorf("an anonymous GET = %d %s; want 403 AccessDenied", code, body)
	}

	// Presigned URLs, for reading and writing.
	u, err := ro.PresignedGetObject(ctx, "sec", "a.txt", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := s3Status(t, mustRequest(t, http.MethodGet, u.String(), nil)); code != http.StatusOK || body != "secret a" {
		t.Errorf("presigned GET = %d %q", code, body)
	}
	tampered := strings.Replace(u.String(), "a.txt", "big.bin", 1)
	if code, body := s3Status(t, mustRequest(t, http.MethodGet, tampered, nil)); code != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("a presigned URL for another key = %d %s; want SignatureDoesNotMatch", code, body)
	}
	pu, err := admin.PresignedPutObject(ctx, "sec", "presigned.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := s3Status(t, mustRequest(t, http.MethodPut, pu.String(), strings.NewReader("via url"))); code != http.StatusOK {
		t.Errorf("presigned PUT = %d %s", code, body)
	}
	if got := readObject(t, admin, "sec", "presigned.txt"); got != "via url" {
		t.Errorf("presigned.txt = %q", got)
	}
	past := signer.PreSignV4(*mustRequest(t, http.MethodGet, e.s3+"/sec/a.txt", nil), e.token, e.token, "", "us-east-1", 1)
	// Time itself is what is tested: the URL expires one second after
	// it was signed, by the server's clock, and the signer takes the
	// current time, so no earlier signing date can be given to it.
	time.Sleep(1100 * time.Millisecond)
	if code, body := s3Status(t, past); code != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Errorf("an expired presigned URL = %d %s; want 403, expired", code, body)
	}

	// A body that is not the one signed is refused, and nothing is written.
	req := mustRequest(t, http.MethodPut, e.s3+"/sec/forged.txt", strings.NewReader("evil"))
	sum := sha256.Sum256([]byte("good"))
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if code, body := s3Status(t, signer.SignV4(*req, e.token, e.token, "", "us-east-1")); code != http.StatusBadRequest || !strings.Contains(body, "XAmzContentSHA256Mismatch") {
		t.Errorf("a put whose body is not the one signed = %d %s; want XAmzContentSHA256Mismatch", code, body)
	}
	data := bytes.Repeat([]byte("x"), 200<<10)
	req = mustRequest(t, http.MethodPut, e.s3+"/sec/forged.txt", bytes.NewReader(data))
	req = signer.StreamingSignV4(req, e.token, e.token, "", "us-east-1", int64(len(data)), time.Now().UTC(), sha256Hasher{sha256.New()})
	stream, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(stream, []byte("\r\n")) + 10
	stream[i] = 'y' // a byte of the first chunk's data
	req.Body = io.NopCloser(bytes.NewReader(stream))
	if code, body := s3Status(t, req); code != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("a put with a changed chunk = %d %s; want SignatureDoesNotMatch", code, body)
	}
	if _, err := admin.StatObject(ctx, "sec", "forged.txt", minio.StatObjectOptions{}); s3Code(err) != "NoSuchKey" {
		t.Errorf("forged.txt after the refused puts: %v; want NoSuchKey", err)
	}
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestBrowserGuard: with authentication off, a web page still may not use
// the gateway: not by a name whose DNS points here, not cross-site.
func TestBrowserGuard(t *testing.T) {
	e := newEnv(t, true)
	e.put(t, "web", "master", map[string]string{"a.txt": "a"})
	req := mustRequest(t, http.MethodGet, e.s3+"/web/a.txt", nil)
	req.Host = "evil.example:" + strings.Split(e.s3, ":")[2]
	if code, body := s3Status(t, req); code != http.StatusForbidden || !strings.Contains(body, "AccessDenied") {
		t.Errorf("a GET for another host = %d %s; want 403 AccessDenied", code, body)
	}
	req = mustRequest(t, http.MethodPost, e.s3+"/web?delete", strings.NewReader("<Delete><Object><Key>a.txt</Key></Object></Delete>"))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if code, body := s3Status(t, req); code != http.StatusForbidden {
		t.Errorf("a cross-site DeleteObjects = %d %s; want 403", code, body)
	}
	if code, body := s3Status(t, mustRequest(t, http.MethodGet, e.s3+"/web/a.txt", nil)); code != http.StatusOK || body != "a" {
		t.Errorf("a.txt after the refused delete = %d %q", code, body)
	}
}
