package fileset

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func sampleLeaf() []File {
	return []File{
		testFile("/a/b.txt", 1),
		testFile("/a/b.txt2", 1),
		{Path: "/a/c", Size: 0, Hash: hexHash("")},
		testFile("/z", 7),
	}
}

func sampleRefs() []ref {
	return []ref{
		{Last: "/a/b", ID: hexHash("1"), Count: 3, Bytes: 100},
		{Last: "/a/bc", ID: hexHash("2"), Count: 1, Bytes: 0},
		{Last: "/b", ID: hexHash("3"), Count: 64, Bytes: 1 << 40},
	}
}

func TestNodeRoundTrip(t *testing.T) {
	raw, err := encodeLeaf(nil, sampleLeaf())
	if err != nil {
		t.Fatal(err)
	}
	data, id := seal(raw)
	if id != hexHash(string(data)) {
		t.Errorf("id %s is not the hash of the data", id)
	}
	n, err := decodeNode(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleLeaf(), n.entries, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("leaf (-want +got):\n%s", diff)
	}
	if n.level != 0 || n.count != 4 {
		t.Errorf("level %d count %d, want 0 4", n.level, n.count)
	}

	raw, err = encodeInternal(nil, 3, sampleRefs())
	if err != nil {
		t.Fatal(err)
	}
	data, _ = seal(raw)
	n, err = decodeNode(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleRefs(), n.refs); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
	if n.level != 3 || n.count != 68 || n.bytes != 1<<40+100 {
		t.Errorf("level %d count %d bytes %d", n.level, n.count, n.bytes)
	}
}

func TestSealDeterministic(t *testing.T) {
	raw, err := encodeLeaf(nil, sampleLeaf())
	if err != nil {
		t.Fatal(err)
	}
	d1, id1 := seal(raw)
	d2, id2 := seal(bytes.Clone(raw))
	if id1 != id2 || !bytes.Equal(d1, d2) {
		t.Error("sealing the same node twice gave different bytes")
	}
}

func TestEncodeRejectsInvalidFiles(t *testing.T) {
	good := testFile("/f", 1)
	for name, mutate := range map[string]func(*File){
		"empty path":      func(f *File) { f.Path = "" },
		"negative size":   func(f *File) { f.Size = -1 },
		"short hash":      func(f *File) { f.Hash = "abcd" },
		"uppercase hash":  func(f *File) { f.Hash = "A" + f.Hash[1:] },
		"bad chunk":       func(f *File) { f.Refs[0].Chunk = "" },
		"negative offset": func(f *File) { f.Refs[0].Offset = -1 },
		"negative length": func(f *File) { f.Refs[1].Length = -5 },
	} {
		f := cloneFile(&good)
		mutate(&f)
		if _, err := encodeLeaf(nil, []File{f}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func TestDecodeRejectsCorruptNodes(t *testing.T) {
	leaf, err := encodeLeaf(nil, sampleLeaf())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":            {},
		"version":          append([]byte{2}, leaf[1:]...),
		"no items":         {formatVersion, 0, 0},
		"truncated":        leaf[:len(leaf)-1],
		"trailing":         append(bytes.Clone(leaf), 0),
		"huge count":       {formatVersion, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge level":       {formatVersion, 65, 1},
		"non-minimal":      {formatVersion, 0x80, 0x00, 1},
		"empty key":        append([]byte{formatVersion, 0, 1, 0, 0, 0}, make([]byte, 40)...),
		"shared too long":  append([]byte{formatVersion, 0, 1, 1, 1, 'a', 0}, make([]byte, 40)...),
		"size overflows":   append([]byte{formatVersion, 0, 1, 0, 1, 'a', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, make([]byte, 40)...),
		"zero count child": append(append([]byte{formatVersion, 1, 1, 0, 1, 'a'}, make([]byte, hashLen)...), 0, 0, 0, 0, 0, 0),
	}
	for name, raw := range cases {
		if _, err := parseNode(raw); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
	// Out-of-order keys and keys that do not share the longest prefix.
	unsorted := []File{testFile("/b", 1), testFile("/a", 1)}
	raw, err := encodeLeaf(nil, unsorted)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseNode(raw); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unsorted: got %v, want ErrCorrupt", err)
	}
	if _, err := decodeNode([]byte("not zstd at all")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage: got %v, want ErrCorrupt", err)
	}
}

func FuzzDecodeNode(f *testing.F) {
	leaf, err := encodeLeaf(nil, sampleLeaf())
	if err != nil {
		f.Fatal(err)
	}
	internal, err := encodeInternal(nil, 2, sampleRefs())
	if err != nil {
		f.Fatal(err)
	}
	sealed, _ := seal(leaf)
	for _, seed := range [][]byte{leaf, internal, sealed, {formatVersion, 0, 1}, {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if n, err := decodeNode(data); err == nil && n.len() == 0 {
			t.Fatal("decoded an empty node")
		}
		n, err := parseNode(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// The encoding is canonical: a parsed node encodes to its input.
		var again []byte
		if n.level == 0 {
			again, err = encodeLeaf(nil, n.entries)
		} else {
			again, err = encodeInternal(nil, n.level, n.refs)
		}
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs:\n in  %x\n out %x", data, again)
		}
	})
}
