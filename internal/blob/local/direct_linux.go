package local

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directAlign is the alignment direct I/O asks of buffers, file offsets
// and lengths: a page covers every logical block size in use.
const directAlign = 4096

// directBuffers are aligned buffers that WriteDirect copies data into.
var directBuffers sync.Pool // of *[]byte

// WriteDirect implements directWriter with O_DIRECT: the whole blocks of
// data go to the device without passing through the page cache, from data
// itself when it is aligned (a large allocation is) or else from an
// aligned copy. The tail, less than a block, is written through the page
// cache after O_DIRECT is turned off, so the file never needs cutting.
func (OS) WriteDirect(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_DIRECT, 0o644)
	if errors.Is(err, syscall.EINVAL) {
		return errNoDirect
	}
	if err != nil {
		return err
	}
	if err := writeDirect(f, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeDirect(f *os.File, data []byte) error {
	whole := len(data) &^ (directAlign - 1)
	head := data[:whole]
	if uintptr(unsafe.Pointer(unsafe.SliceData(data)))%directAlign != 0 {
		bp := alignedBuffer(whole)
		defer directBuffers.Put(bp)
		head = (*bp)[:whole]
		copy(head, data)
	}
	if n, err := f.Write(head); err != nil {
		if n == 0 && errors.Is(err, syscall.EINVAL) {
			return errNoDirect
		}
		return err
	}
	if whole == len(data) {
		return nil
	}
	fd := int(f.Fd())
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fmt.Errorf("turn off direct I/O: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_DIRECT); err != nil {
		return fmt.Errorf("turn off direct I/O: %w", err)
	}
	_, err = f.Write(data[whole:])
	return err
}

// alignedBuffer returns a pooled buffer of at least n bytes that starts
// at an address aligned for direct I/O.
func alignedBuffer(n int) *[]byte {
	if bp, ok := directBuffers.Get().(*[]byte); ok && cap(*bp) >= n {
		return bp
	}
	size := max(n, 1<<20)
	b := make([]byte, size+directAlign)
	off := -int(uintptr(unsafe.Pointer(&b[0]))) & (directAlign - 1)
	b = b[off : off+size : off+size]
	return &b
}
