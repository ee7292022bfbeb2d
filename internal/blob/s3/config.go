package s3

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Config says where the store's objects live and how to reach them.
type Config struct {
	// Endpoint is the server's host[:port]. Default: s3.amazonaws.com.
	Endpoint string
	// Insecure selects plain HTTP instead of HTTPS.
	Insecure bool
	// Region is the bucket's region. Default: us-east-1.
	Region string
	// Bucket holds the objects. New fails if it is missing, unless
	// CreateBucket is set.
	Bucket string
	// CreateBucket lets New create a missing bucket.
	CreateBucket bool
	// Prefix is prepended, with a slash, to every key. Optional.
	Prefix string

	AccessKey    string
	SecretKey    string
	SessionToken string // optional
}

// keyPrefix returns the prefix of the keys of cfg: empty, or Prefix
// without its outer slashes and with one slash after it.
func (cfg Config) keyPrefix() string {
	if p := strings.Trim(cfg.Prefix, "/"); p != "" {
		return p + "/"
	}
	return ""
}

// URLForm describes the URLs that ParseURL accepts.
const URLForm = "s3://bucket[/prefix][?endpoint=http(s)://host:port][&region=us-east-1]"

// ParseURL returns the Config of a URL of the form URLForm, taking the
// credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the optional
// AWS_SESSION_TOKEN as read by getenv (os.Getenv, or a fake in tests). An
// endpoint URL with http:// means no TLS.
func ParseURL(raw string, getenv func(string) string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("parse S3 URL: %w", err)
	}
	if u.Scheme != "s3" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return Config{}, fmt.Errorf("bad S3 URL %q: want %s", raw, URLForm)
	}
	cfg := Config{
		Bucket:       u.Host,
		Prefix:       strings.Trim(u.Path, "/"),
		Region:       "us-east-1",
		Endpoint:     "s3.amazonaws.com",
		AccessKey:    getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:    getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: getenv("AWS_SESSION_TOKEN"),
	}
	q := u.Query()
	for name := range q {
		if name != "endpoint" && name != "region" {
			return Config{}, fmt.Errorf("bad S3 URL %q: unknown parameter %q; want %s", raw, name, URLForm)
		}
	}
	if r := q.Get("region"); r != "" {
		cfg.Region = r
	}
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || eu.Host == "" || eu.Path != "" && eu.Path != "/" || eu.Scheme != "http" && eu.Scheme != "https" {
			return Config{}, fmt.Errorf("bad S3 URL %q: endpoint %q is not http(s)://host[:port]", raw, e)
		}
		cfg.Endpoint = eu.Host
		cfg.Insecure = eu.Scheme == "http"
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return Config{}, errors.New("S3 credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	return cfg, nil
}
