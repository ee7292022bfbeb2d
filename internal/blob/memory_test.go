package blob_test

import (
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/blobtest"
)

func TestMemoryConformance(t *testing.T) {
	blobtest.Run(t, func(*testing.T) blob.Store { return blob.NewMemory() })
}

func TestFaultyConformance(t *testing.T) {
	blobtest.Run(t, func(*testing.T) blob.Store { return blob.NewFaulty(blob.NewMemory()) })
}
