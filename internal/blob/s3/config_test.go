package s3

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fakeEnv(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestParseURL(t *testing.T) {
	env := fakeEnv(map[string]string{"AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk", "AWS_SESSION_TOKEN": "tok"})
	tests := []struct {
		url  string
		want Config
	}{
		{"s3://bucket", Config{Endpoint: "s3.amazonaws.com", Region: "us-east-1", Bucket: "bucket",
			AccessKey: "ak", SecretKey: "sk", SessionToken: "tok"}},
		{"s3://bucket/a/b/?endpoint=http://127.0.0.1:7070&region=eu-west-3", Config{Endpoint: "127.0.0.1:7070",
			Insecure: true, Region: "eu-west-3", Bucket: "bucket", Prefix: "a/b", AccessKey: "ak", SecretKey: "sk", SessionToken: "tok"}},
		{"s3://bucket/p?endpoint=https://minio.example:9000/", Config{Endpoint: "minio.example:9000",
			Region: "us-east-1", Bucket: "bucket", Prefix: "p", AccessKey: "ak", SecretKey: "sk", SessionToken: "tok"}},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.url, env)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tt.url, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseURL(%q) (-want +got):\n%s", tt.url, diff)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	env := fakeEnv(map[string]string{"AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk"})
	tests := []struct{ url, want string }{
		{"s3:///prefix", "s3://bucket"},
		{"http://bucket/prefix", "s3://bucket"},
		{"s3://bucket?endpoint=127.0.0.1:7070", "endpoint"},
		{"s3://bucket?endpoint=ftp://host", "endpoint"},
		{"s3://bucket?endpont=http://host", `unknown parameter "endpont"`},
		{"s3://user:pw@bucket", "s3://bucket"},
	}
	for _, tt := range tests {
		_, err := ParseURL(tt.url, env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseURL(%q) error = %v, want one mentioning %q", tt.url, err, tt.want)
		}
	}
	_, err := ParseURL("s3://bucket", fakeEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("ParseURL without credentials error = %v, want one naming AWS_ACCESS_KEY_ID", err)
	}
}
