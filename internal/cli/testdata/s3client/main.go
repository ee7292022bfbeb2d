// Command s3client is a minimal S3 client for tests in images that have
// none (tusk-test/busybox): `s3client get BUCKET KEY` writes an object to
// stdout, `s3client put BUCKET KEY` stores stdin, at $S3_ENDPOINT with
// $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, as a pipeline's command
// finds them.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s3client:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 4 {
		return fmt.Errorf("usage: s3client get|put BUCKET KEY")
	}
	op, bucket, key := os.Args[1], os.Args[2], os.Args[3]
	u, err := url.Parse(os.Getenv("S3_ENDPOINT"))
	if err != nil {
		return fmt.Errorf("$S3_ENDPOINT: %w", err)
	}
	c, err := minio.New(u.Host, &minio.Options{Secure: u.Scheme == "https", Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
		Creds: credentials.NewStaticV4(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")})
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch op {
	case "get":
		obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
		if err != nil {
			return err
		}
		defer obj.Close()
		_, err = io.Copy(os.Stdout, obj)
		return err
	case "put":
		body, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		_, err = c.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		return err
	}
	return fmt.Errorf("%q: want get or put", op)
}
