package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zeebo/blake3"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// fakeServer speaks the upload part of the API and keeps what it gets.
type fakeServer struct {
	params   chunk.Params
	discard  bool          // keep nothing (benchmarks)
	slow     time.Duration // added to every missing-chunks request
	failPuts bool

	mu       sync.Mutex
	chunks   map[string][]byte // plaintext by ID
	checks   int               // missing-chunks requests
	checked  map[string]int    // times each ID was asked about
	maxBatch int
	puts     int
	ops      []tusk.FileOp

	inFlight, maxInFlight atomic.Int32 // missing-chunks requests at once
}

func newFakeServer(t testing.TB, f *fakeServer) *Client {
	f.chunks, f.checked = map[string][]byte{}, map[string]int{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/info", func(w http.ResponseWriter, r *http.Request) {
		p, _ := json.Marshal(f.params)
		json.NewEncoder(w).Encode(Info{ChunkParams: p})
	})
	mux.HandleFunc("POST /v1/chunks/missing", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			IDs []string `json:"ids"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := f.inFlight.Add(1)
		for m := f.maxInFlight.Load(); n > m && !f.maxInFlight.CompareAndSwap(m, n); m = f.maxInFlight.Load() {
		}
		time.Sleep(f.slow)
		f.inFlight.Add(-1)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.checks++
		f.maxBatch = max(f.maxBatch, len(req.IDs))
		missing := []string{}
		for _, id := range req.IDs {
			f.checked[id]++
			if _, ok := f.chunks[id]; !ok {
				missing = append(missing, id)
			}
		}
		json.NewEncoder(w).Encode(map[string][]string{"missing": missing})
	})
	mux.HandleFunc("PUT /v1/chunks/{id}", func(w http.ResponseWriter, r *http.Request) {
		if f.failPuts {
			http.Error(w, `{"error":{"kind":"internal","message":"disk full"}}`, http.StatusInternalServerError)
			return
		}
		if f.discard {
			io.Copy(io.Discard, r.Body)
			w.Write([]byte("{}"))
			return
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		plain, err := chunk.Decode(r.PathValue("id"), data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.puts++
		f.chunks[r.PathValue("id")] = plain
		w.Write([]byte("{}"))
	})
	mux.HandleFunc("POST /v1/files/modify", func(w http.ResponseWriter, r *http.Request) {
		sc := bufio.NewScanner(r.Body)
		sc.Buffer(nil, 64<<20)
		var ops []tusk.FileOp
		for sc.Scan() {
			var op tusk.FileOp
			if err := json.Unmarshal(sc.Bytes(), &op); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if !f.discard {
				ops = append(ops, op)
			}
		}
		f.mu.Lock()
		f.ops = ops
		f.mu.Unlock()
		json.NewEncoder(w).Encode(tusk.Commit{Repo: "r", ID: "c"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func randomData(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// hashAlone returns the hash of content as a file of its own: that of its
// content for a small file, else one that a Packer computes the same
// wherever the file is put.
func hashAlone(t *testing.T, content []byte) string {
	t.Helper()
	if len(content) < smallParams.MaxSize {
		sum := blake3.Sum256(content)
		return hex.EncodeToString(sum[:])
	}
	pk, err := chunk.NewPacker(smallParams, func(c chunk.Chunk) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := pk.Add(bytes.NewReader(content), func(f chunk.File) { hash = f.Hash }); err != nil {
		t.Fatal(err)
	}
	if err := pk.Close(); err != nil {
		t.Fatal(err)
	}
	return hash
}

// small chunks, so that a test of a few MiB makes hundreds of them.
var smallParams = chunk.Params{Algorithm: chunk.DefaultParams.Algorithm, MinSize: 2 << 10, AvgSize: 4 << 10, MaxSize: 16 << 10}

func TestUploadSendsEachMissingChunkOnce(t *testing.T) {
	f := &fakeServer{params: smallParams, slow: 20 * time.Millisecond}
	c := newFakeServer(t, f)
	rng := rand.New(rand.NewPCG(1, 2))
	big := randomData(rng, 3<<20)
	files := map[string][]byte{
		"/big":   big,
		"/again": big, // same chunks: checked and sent once
		"/zeros": make([]byte, 1<<20),
		"/empty": nil,
	}
	for i := range 300 {
		files[fmt.Sprintf("/small/%03d", i)] = randomData(rng, 1+rng.IntN(3000))
	}
	// Half of big is on the server already.
	pre := &fakeServer{params: smallParams}
	pc := newFakeServer(t, pre)
	up, err := pc.NewUpload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := up.PutFile("/half", bytes.NewReader(big[:len(big)/2]), false); err != nil {
		t.Fatal(err)
	}
	if _, err := up.Commit("r@master"); err != nil {
		t.Fatal(err)
	}
	for id, b := range pre.chunks {
		f.chunks[id] = b
	}
	present := len(f.chunks)

	up, err = c.NewUpload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	order := slices.Sorted(maps.Keys(files))
	var total int64
	for _, p := range order {
		if err := up.PutFile(p, bytes.NewReader(files[p]), false); err != nil {
			t.Fatal(err)
		}
		total += int64(len(files[p]))
	}
	up.DeleteFile("/old")
	if _, err := up.Commit("r@master"); err != nil {
		t.Fatal(err)
	}
	if got := up.Bytes.Load(); got != total {
		t.Errorf("Bytes = %d, want %d", got, total)
	}
	if len(f.ops) != len(order)+1 || f.ops[len(order)].Op != tusk.OpDelete {
		t.Fatalf("server got %d operations, want %d puts and a delete", len(f.ops), len(order))
	}
	for i, p := range order {
		op := f.ops[i]
		var got bytes.Buffer
		for _, ref := range op.Refs {
			got.Write(f.chunks[ref.Chunk][ref.Offset : ref.Offset+ref.Length])
		}
		if op.Path != p || !bytes.Equal(got.Bytes(), files[p]) || op.Size != int64(len(files[p])) || op.Hash != hashAlone(t, files[p]) {
			t.Errorf("%s: operation %d (%s, %d bytes) does not give back its content", p, i, op.Path, op.Size)
		}
	}
	for id, n := range f.checked {
		if n != 1 {
			t.Errorf("chunk %s checked %d times", id, n)
		}
	}
	if f.puts == len(f.checked) {
		t.Errorf("all %d chunks sent: none was on the server already", f.puts)
	}
	if f.puts != len(f.chunks)-present {
		t.Errorf("%d chunks sent, want %d: only missing ones, once", f.puts, len(f.chunks)-present)
	}
	t.Logf("%d chunks checked in %d requests (at most %d at a time), %d sent", len(f.checked), f.checks, f.maxBatch, f.puts)
	if f.maxBatch > missingBatch || f.checks*4 > len(f.checked) {
		t.Errorf("%d checks for %d chunks, at most %d at a time: want batches of up to %d", f.checks, len(f.checked), f.maxBatch, missingBatch)
	}
}

func TestUploadFailureEndsIt(t *testing.T) {
	f := &fakeServer{params: smallParams, failPuts: true}
	c := newFakeServer(t, f)
	up, err := c.NewUpload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data := randomData(rand.New(rand.NewPCG(3, 4)), 4<<20)
	var perr error
	for i := 0; i < 100 && perr == nil; i++ {
		perr = up.PutFile(fmt.Sprintf("/f%d", i), bytes.NewReader(data), false)
	}
	if perr == nil || !strings.Contains(perr.Error(), "disk full") {
		t.Errorf("PutFile error %v, want the server's", perr)
	}
	if _, err := up.Commit("r@master"); err == nil {
		t.Error("Commit after a failure succeeded")
	}
}

func benchmarkUpload(b *testing.B, files [][]byte) {
	f := &fakeServer{params: chunk.DefaultParams, discard: true}
	c := newFakeServer(b, f)
	var total int64
	for _, data := range files {
		total += int64(len(data))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	cpu := testenv.CPUTime(b)
	for b.Loop() {
		up, err := c.NewUpload(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for i, data := range files {
			if err := up.PutFile(fmt.Sprintf("/f/%d", i), bytes.NewReader(data), false); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := up.Commit("r@master"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(testenv.CPUTime(b)-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkUploadLarge is the client side of putting one 256 MiB file of
// random data, to a server that checks nothing and keeps nothing.
func BenchmarkUploadLarge(b *testing.B) {
	benchmarkUpload(b, [][]byte{randomData(rand.New(rand.NewPCG(5, 6)), 256<<20)})
}

// BenchmarkUploadSmall is the same for 20k files of 1–10 KB.
func BenchmarkUploadSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	files := make([][]byte, 20000)
	for i := range files {
		files[i] = randomData(rng, 1000+rng.IntN(9001))
	}
	benchmarkUpload(b, files)
}

func TestUploadSenders(t *testing.T) {
	data := randomData(rand.New(rand.NewPCG(3, 4)), 4<<20) // hundreds of small chunks
	for _, c := range []struct {
		opts []UploadOption
		max  func(int32) bool
		want string
	}{
		{[]UploadOption{Senders(1)}, func(n int32) bool { return n == 1 }, "1"},
		{nil, func(n int32) bool { return n > 1 }, "more than 1"},
	} {
		f := &fakeServer{params: smallParams, slow: 5 * time.Millisecond}
		u, err := newFakeServer(t, f).NewUpload(t.Context(), c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.PutFile("/f", bytes.NewReader(data), false); err != nil {
			t.Fatal(err)
		}
		if _, err := u.Commit("r@master"); err != nil {
			t.Fatal(err)
		}
		if got := f.maxInFlight.Load(); !c.max(got) {
			t.Errorf("with %d options: %d requests in flight at most, want %s", len(c.opts), got, c.want)
		}
	}
}
