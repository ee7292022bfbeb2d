package server

import (
	"os"

	"github.com/tuskdata/tusk/internal/blob/s3"
	"github.com/tuskdata/tusk/internal/pps/scheduler"
)

// egressBucket opens the bucket of an s3:// egress URL, with the AWS
// credentials of the server's environment.
func egressBucket(url string) (scheduler.EgressBucket, error) {
	cfg, err := s3.ParseURL(url, os.Getenv)
	if err != nil {
		return nil, err
	}
	sink, err := s3.OpenSink(cfg)
	if err != nil {
		return nil, err
	}
	return sink, nil
}
