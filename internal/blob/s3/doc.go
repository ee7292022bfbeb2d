// Package s3 is a blob.Store on S3-compatible object storage (AWS S3,
// MinIO, versitygw, …), through minio-go. Objects live in one bucket under
// an optional key prefix, with path-style addressing.
package s3
