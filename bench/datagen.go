package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// genBuf is the write size of generated data.
const genBuf = 4 << 20

// stream returns a fast seeded random byte stream.
func stream(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	binary.LittleEndian.PutUint64(s[8:], 0x7475736b) // "tusk"
	return rand.NewChaCha8(s)
}

// writeRandomFile writes size seeded random bytes to path.
func writeRandomFile(path string, size int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := io.CopyBuffer(f, io.LimitReader(stream(seed), size), make([]byte, genBuf)); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// rewriteRegion overwrites n bytes of path at off with new random bytes.
func rewriteRegion(path string, off, n int64, seed uint64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	w := io.NewOffsetWriter(f, off)
	if _, err := io.CopyBuffer(w, io.LimitReader(stream(seed), n), make([]byte, genBuf)); err != nil {
		f.Close()
		return fmt.Errorf("rewrite %s at %d: %w", path, off, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// readAll reads path to the end, to put it in the page cache.
func readAll(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if _, err := io.CopyBuffer(io.Discard, f, make([]byte, genBuf)); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// filesPerDir is how many files generated trees put in each directory.
const filesPerDir = 1000

// smallFilePath is the relative path of the i-th generated small file.
func smallFilePath(i int) string {
	return fmt.Sprintf("d%04d/f%07d.bin", i/filesPerDir, i)
}

// writeSmallFiles writes n files of minSize to maxSize random bytes
// (seeded sizes and content) under dir, and returns their total size.
func writeSmallFiles(dir string, n, minSize, maxSize int, seed uint64) (int64, error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	src := bufio.NewReaderSize(stream(seed), genBuf)
	buf := make([]byte, maxSize)
	var total int64
	for i := range n {
		p := filepath.Join(dir, smallFilePath(i))
		if i%filesPerDir == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return total, fmt.Errorf("create directory: %w", err)
			}
		}
		data := buf[:minSize+rng.IntN(maxSize-minSize+1)]
		if _, err := io.ReadFull(src, data); err != nil {
			return total, fmt.Errorf("generate: %w", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return total, fmt.Errorf("write small file: %w", err)
		}
		total += int64(len(data))
	}
	return total, nil
}

// tinyContent is the content of the i-th file of a generated tree of tiny
// files in version v: a few dozen bytes, distinct for every file.
func tinyContent(i, v int) []byte {
	return fmt.Appendf(nil, "tiny file %d, version %d, tusk benchmark padding\n", i, v)
}
