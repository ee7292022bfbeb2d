package pfs

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/tuskdata/tusk/internal/tusk"
)

// hub fans commit events out to subscribers in this process.
type hub struct {
	mu   sync.Mutex
	subs map[chan tusk.CommitEvent]struct{}
}

func newHub() *hub { return &hub{subs: map[chan tusk.CommitEvent]struct{}{}} }

func (h *hub) subscribe() chan tusk.CommitEvent {
	ch := make(chan tusk.CommitEvent, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *hub) unsubscribe(ch chan tusk.CommitEvent) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// publish never blocks: a subscriber that falls behind gets a "resync"
// event and must re-read the state it cares about.
func (h *hub) publish(evs ...tusk.CommitEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		for _, ev := range evs {
			select {
			case ch <- ev:
			default:
				select {
				case <-ch:
				default:
				}
				select {
				case ch <- tusk.CommitEvent{Type: "resync"}:
				default:
				}
			}
		}
	}
}

// Subscribe returns a channel of commit events and a function that ends
// the subscription. A "resync" event means events were dropped.
func (a *API) Subscribe() (<-chan tusk.CommitEvent, func()) {
	ch := a.events.subscribe()
	return ch, func() { a.events.unsubscribe(ch) }
}

// eventChannel is the PostgreSQL channel commit events travel on between
// servers sharing one metadata store.
const eventChannel = "tusk_commit_events"

type remoteEvent struct {
	Origin string           `json:"origin"`
	Event  tusk.CommitEvent `json:"event"`
}

// publish tells this process's subscribers about events, and the other
// servers sharing the metadata store.
func (a *API) publish(ctx context.Context, evs ...tusk.CommitEvent) {
	a.events.publish(evs...)
	for _, ev := range evs {
		b, err := json.Marshal(remoteEvent{Origin: a.instance, Event: ev})
		if err != nil {
			continue
		}
		if err := a.db.Notify(context.WithoutCancel(ctx), eventChannel, string(b)); err != nil {
			a.log.Warn("relay commit event", "err", err)
		}
	}
}

// RelayEvents passes commit events from other servers sharing the
// metadata store (PostgreSQL) to this one's subscribers, until ctx ends.
// Events may be lost while it reconnects: subscribers then get a
// "resync" event.
func (a *API) RelayEvents(ctx context.Context) {
	resync := func() { a.events.publish(tusk.CommitEvent{Type: "resync"}) }
	a.db.Listen(ctx, eventChannel, resync, func(payload string) {
		var re remoteEvent
		if json.Unmarshal([]byte(payload), &re) != nil || re.Origin == a.instance {
			return
		}
		a.events.publish(re.Event)
	})
}
