package server

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestErrorKindsSurviveTheWire(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	if _, err := c.CreateRepo(ctx, "imgs", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepo(ctx, "imgs", ""); !errors.Is(err, tusk.ErrExists) {
		t.Errorf("duplicate repo: %v, want exists", err)
	}
	_, err := c.InspectRepo(ctx, "nope")
	var te *tusk.Error
	if !errors.As(err, &te) || te.Kind != tusk.KindNotFound || te.Hint != "create it with: tusk create repo nope" {
		t.Errorf("missing repo: %#v", err)
	}
	if _, err := c.InspectCommit(ctx, "imgs@bad branch"); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("bad reference: %v, want invalid", err)
	}
	if _, err := c.StartCommit(ctx, "imgs", "master", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartCommit(ctx, "imgs", "master", ""); !errors.Is(err, tusk.ErrConflict) {
		t.Errorf("second open commit: %v, want conflict", err)
	}
}

func TestUploadSkipsChunksTheServerHas(t *testing.T) {
	c := newTestClient(t)
	ctx := context.Background()
	c.CreateRepo(ctx, "data", "")
	data := make([]byte, 6<<20)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	put := func(path string) int64 {
		up, err := c.NewUpload(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := up.PutFile(path, bytes.NewReader(data), false); err != nil {
			t.Fatal(err)
		}
		if _, err := up.Commit("data@master"); err != nil {
			t.Fatal(err)
		}
		return up.Sent.Load()
	}
	if first := put("/a"); first < int64(len(data)) {
		t.Fatalf("first upload sent %d bytes of %d", first, len(data))
	}
	if again := put("/b"); again != 0 {
		t.Errorf("re-uploading the same content sent %d bytes, want 0", again)
	}
}

func TestCommitEventsArePushed(t *testing.T) {
	c := newTestClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.CreateRepo(ctx, "data", "")
	got := make(chan tusk.CommitEvent, 8)
	subscribed := make(chan struct{})
	go c.SubscribeCommits(ctx, func(ev tusk.CommitEvent) error {
		if ev.Type == "subscribed" {
			close(subscribed)
			return nil
		}
		got <- ev
		return nil
	})
	<-subscribed
	commit, err := c.StartCommit(ctx, "data", "master", "")
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := c.WaitCommit(ctx, "data@"+commit.ID)
		waited <- err
	}()
	if ev := <-got; ev.Type != "started" || ev.Commit.ID != commit.ID {
		t.Errorf("first event = %+v", ev)
	}
	if _, err := c.FinishCommit(ctx, "data@master", "", ""); err != nil {
		t.Fatal(err)
	}
	if ev := <-got; ev.Type != "finished" || ev.Commit.ID != commit.ID {
		t.Errorf("second event = %+v", ev)
	}
	if err := <-waited; err != nil {
		t.Errorf("wait commit: %v", err)
	}
}
