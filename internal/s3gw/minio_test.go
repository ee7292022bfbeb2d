package s3gw_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// minioClient is a minio-go client of the gateway with the given keys.
func minioClient(t *testing.T, e *env, access, secret string) *minio.Client {
	t.Helper()
	mc, err := minio.New(strings.TrimPrefix(e.s3, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

func s3Code(err error) string { return minio.ToErrorResponse(err).Code }

func TestMinioRead(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	e.put(t, "images", "master", map[string]string{"a.txt": "alpha", "dir/b.txt": "bravo", "dir/sub/c.txt": "charlie", "z": "zulu"})
	e.put(t, "images", "dev", map[string]string{"dev.txt": "on dev"})
	mc := minioClient(t, e, "any", "anything")

	buckets, err := mc.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range buckets {
		names = append(names, b.Name)
	}
	if want := []string{"dev.images", "master.images"}; !slices.Equal(names, want) {
		t.Errorf("buckets %v, want %v", names, want)
	}
	for _, b := range []string{"images", "master.images", "dev.images", "master.images.default"} {
		if ok, err := mc.BucketExists(ctx, b); err != nil || !ok {
			t.Errorf("BucketExists(%s) = %v, %v; want true", b, ok, err)
		}
	}
	for _, b := range []string{"nope", "nope.images", "images.other-project"} {
		if ok, err := mc.BucketExists(ctx, b); err != nil || ok {
			t.Errorf("BucketExists(%s) = %v, %v; want false", b, ok, err)
		}
	}
	if loc, err := mc.GetBucketLocation(ctx, "images"); err != nil || loc != "us-east-1" {
		t.Errorf("GetBucketLocation = %q, %v; want us-east-1", loc, err)
	}

	list := func(bucket string, opts minio.ListObjectsOptions) []string {
		t.Helper()
		var keys []string
		for o := range mc.ListObjects(ctx, bucket, opts) {
			if o.Err != nil {
				t.Fatalf("ListObjects(%s, %+v): %v", bucket, opts, o.Err)
			}
			keys = append(keys, o.Key)
		}
		slices.Sort(keys) // minio-go gives a page's keys before its prefixes
		return keys
	}
	for _, tc := range []struct {
		opts minio.ListObjectsOptions
		want []string
	}{
		{minio.ListObjectsOptions{}, []string{"a.txt", "dir/", "z"}},
		{minio.ListObjectsOptions{Recursive: true}, []string{"a.txt", "dir/b.txt", "dir/sub/c.txt", "z"}},
		{minio.ListObjectsOptions{Recursive: true, MaxKeys: 1}, []string{"a.txt", "dir/b.txt", "dir/sub/c.txt", "z"}},
		{minio.ListObjectsOptions{Prefix: "dir/"}, []string{"dir/b.txt", "dir/sub/"}},
		{minio.ListObjectsOptions{Prefix: "dir/s", Recursive: true}, []string{"dir/sub/c.txt"}},
		{minio.ListObjectsOptions{Recursive: true, StartAfter: "dir/b.txt"}, []string{"dir/sub/c.txt", "z"}},
		{minio.ListObjectsOptions{Recursive: true, UseV1: true, MaxKeys: 2}, []string{"a.txt", "dir/b.txt", "dir/sub/c.txt", "z"}},
		{minio.ListObjectsOptions{UseV1: true, MaxKeys: 1}, []string{"a.txt", "dir/", "z"}},
		{minio.ListObjectsOptions{MaxKeys: 1}, []string{"a.txt", "dir/", "z"}},
		{minio.ListObjectsOptions{Prefix: "dir/", MaxKeys: 1}, []string{"dir/b.txt", "dir/sub/"}},
		{minio.ListObjectsOptions{Prefix: "dir/sub", MaxKeys: 1}, []string{"dir/sub/"}},
		{minio.ListObjectsOptions{Prefix: "di"}, []string{"dir/"}},
		{minio.ListObjectsOptions{Prefix: "zz", Recursive: true}, nil},
	} {
		if got := list("master.images", tc.opts); !slices.Equal(got, tc.want) {
			t.Errorf("ListObjects(%+v) = %v, want %v", tc.opts, got, tc.want)
		}
	}

	obj, err := mc.GetObject(ctx, "images", "dir/sub/c.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(obj)
	if err != nil || string(body) != "charlie" {
		t.Fatalf("GetObject = %q, %v; want charlie", body, err)
	}
	st, err := mc.StatObject(ctx, "images", "dir/sub/c.txt", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 7 || len(st.ETag) != 66 || st.LastModified.IsZero() {
		t.Errorf("StatObject = size %d, ETag %q, modified %v; want 7 bytes, an ETag HASH-1, a time", st.Size, st.ETag, st.LastModified)
	}

	get := func(opts minio.GetObjectOptions) (string, error) {
		t.Helper()
		obj, err := mc.GetObject(ctx, "images", "dir/sub/c.txt", opts)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(obj)
		return string(b), err
	}
	ranged := func(set func(*minio.GetObjectOptions) error) minio.GetObjectOptions {
		var o minio.GetObjectOptions
		if err := set(&o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, tc := range []struct {
		name string
		opts minio.GetObjectOptions
		want string
		code string
	}{
		{"range", ranged(func(o *minio.GetObjectOptions) error { return o.SetRange(1, 3) }), "har", ""},
		{"open range", ranged(func(o *minio.GetObjectOptions) error { return o.SetRange(4, 0) }), "lie", ""},
		{"suffix", ranged(func(o *minio.GetObjectOptions) error { return o.SetRange(0, -2) }), "ie", ""},
		{"past the end", ranged(func(o *minio.GetObjectOptions) error { return o.SetRange(7, 9) }), "", "InvalidRange"},
		{"if-match", ranged(func(o *minio.GetObjectOptions) error { return o.SetMatchETag(st.ETag) }), "charlie", ""},
		{"if-match other", ranged(func(o *minio.GetObjectOptions) error { return o.SetMatchETag("0123") }), "", "PreconditionFailed"},
		{"if-unmodified-since before", ranged(func(o *minio.GetObjectOptions) error {
			return o.SetUnmodified(st.LastModified.Add(-time.Hour))
		}), "", "PreconditionFailed"},
		{"if-modified-since after", ranged(func(o *minio.GetObjectOptions) error {
			return o.SetModified(st.LastModified.Add(time.Hour))
		}), "", "NotModified"},
		{"if-none-match", ranged(func(o *minio.GetObjectOptions) error { return o.SetMatchETagExcept(st.ETag) }), "", "NotModified"},
	} {
		got, err := get(tc.opts)
		code := ""
		if err != nil {
			code = s3Code(err)
			if minio.ToErrorResponse(err).StatusCode == http.StatusNotModified {
				code = "NotModified"
			}
		}
		if got != tc.want || code != tc.code {
			t.Errorf("%s: got %q, error %v (code %q); want %q, code %q", tc.name, got, err, code, tc.want, tc.code)
		}
	}

	if _, err := mc.StatObject(ctx, "images", "missing", minio.StatObjectOptions{}); s3Code(err) != "NoSuchKey" {
		t.Errorf("StatObject(missing) = %v; want NoSuchKey", err)
	}
	if _, err := get(minio.GetObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = mc.StatObject(ctx, "images", "dir", minio.StatObjectOptions{})
	if s3Code(err) != "NoSuchKey" {
		t.Errorf("StatObject(dir) = %v; want NoSuchKey: a directory is no object", err)
	}
	if _, err := mc.GetObjectACL(ctx, "images", "a.txt"); s3Code(err) != "NotImplemented" {
		t.Errorf("GetObjectACL = %v; want NotImplemented", err)
	}
	if obj, err := mc.GetObject(ctx, "nope", "a.txt", minio.GetObjectOptions{}); err != nil {
		t.Fatal(err)
	} else if _, err := io.ReadAll(obj); s3Code(err) != "NoSuchBucket" {
		t.Errorf("GetObject in a missing bucket = %v; want NoSuchBucket", err)
	}

	// A commit's bucket reads that commit, whatever the branch does later.
	head, err := e.c.InspectCommit(ctx, "images@master")
	if err != nil {
		t.Fatal(err)
	}
	e.put(t, "images", "master", map[string]string{"a.txt": "changed"})
	if got := readObject(t, mc, head.ID+".images", "a.txt"); got != "alpha" {
		t.Errorf("a.txt of commit %s = %q, want alpha", head.ID, got)
	}
	if got := readObject(t, mc, "images", "a.txt"); got != "changed" {
		t.Errorf("a.txt of master = %q, want changed", got)
	}
}

func readObject(t *testing.T, mc *minio.Client, bucket, key string) string {
	t.Helper()
	obj, err := mc.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, obj); err != nil {
		var er minio.ErrorResponse
		if errors.As(err, &er) {
			t.Fatalf("GetObject(%s, %s): %s", bucket, key, er.Code)
		}
		t.Fatalf("GetObject(%s, %s): %v", bucket, key, err)
	}
	return buf.String()
}
