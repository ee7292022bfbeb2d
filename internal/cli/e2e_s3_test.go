package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob/s3"
	"github.com/tuskdata/tusk/internal/testenv"
)

func TestE2EPutFileFromS3(t *testing.T) {
	raw := testenv.Require(t, "s3", "TUSK_TEST_S3")
	cfg, err := s3.ParseURL(raw, os.Getenv)
	if err != nil {
		t.Fatalf("TUSK_TEST_S3: %v", err)
	}
	cfg.Bucket, cfg.Prefix = fmt.Sprintf("put-src-%d", time.Now().UnixNano()), ""
	cfg.CreateBucket = true
	st, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	objects := map[string]string{"data/a.csv": "x,y\n1,2\n", "data/sub/b.txt": "bee", "datum.txt": "not under data/"}
	for k, v := range objects {
		if err := st.Put(context.Background(), k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	scheme := "https"
	if cfg.Insecure {
		scheme = "http"
	}
	endpoint := scheme + "://" + cfg.Endpoint
	bucketURL := func(key string) string {
		return "s3://" + cfg.Bucket + "/" + key + "?endpoint=" + url.QueryEscape(endpoint)
	}

	e := startServer(t)
	e.run("create", "repo", "raw")
	e.run("put", "file", "raw@master", "-f", bucketURL("data/a.csv"))
	if got := e.run("get", "file", "raw@master:/a.csv"); got != objects["data/a.csv"] {
		t.Errorf("put of one object: /a.csv = %q", got)
	}
	e.run("put", "file", "raw@master", "-r", "-f", bucketURL("data"))
	for path, key := range map[string]string{"/data/a.csv": "data/a.csv", "/data/sub/b.txt": "data/sub/b.txt"} {
		if got := e.run("get", "file", "raw@master:"+path); got != objects[key] {
			t.Errorf("put -r of a prefix: %s = %q, want %q", path, got, objects[key])
		}
	}
	if got := paths(e, "raw@master", "/data"); len(got) != 2 {
		t.Errorf("put -r of s3://…/data put %v; want a.csv and sub/ only (not datum.txt)", got)
	}
	// The endpoint can come from the AWS environment instead.
	e.env = append(e.env, "AWS_ENDPOINT_URL="+endpoint)
	e.run("put", "file", "raw@master:/copy.txt", "-f", "s3://"+cfg.Bucket+"/data/sub/b.txt")
	if got := e.run("get", "file", "raw@master:/copy.txt"); got != "bee" {
		t.Errorf("put with AWS_ENDPOINT_URL: /copy.txt = %q", got)
	}
	stderr := e.fail(1, "put", "file", "raw@master", "-r", "-f", bucketURL("nothing"))
	wantContains(t, "put -r of an empty prefix", stderr, "no objects under s3://")
	e.fail(1, "put", "file", "raw@master", "-f", bucketURL("missing.csv"))
}
