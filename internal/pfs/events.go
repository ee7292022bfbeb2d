package pfs

import (
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
