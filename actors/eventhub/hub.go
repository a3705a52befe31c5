package eventhub

import (
	"context"
	"sync"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
)

// DefaultBuffer is a subscriber's channel capacity when New is given 0.
const DefaultBuffer = 256

// Hub fans events out to subscribers. It is safe for concurrent use.
type Hub struct {
	mu     sync.Mutex
	seq    uint64
	subs   map[*sub]struct{}
	buffer int
	now    func() time.Time
}

type sub struct {
	ch     chan appcluster.Event
	keep   func(appcluster.Event) bool
	closed bool
}

// New returns a Hub whose subscribers buffer up to buffer events.
func New(buffer int) *Hub {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Hub{subs: map[*sub]struct{}{}, buffer: buffer, now: time.Now}
}

// Publish stamps e with the next sequence number and time and hands it to every subscriber
// whose filter keeps it.
func (h *Hub) Publish(e appcluster.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.Seq = h.seq
	if e.At.IsZero() {
		e.At = h.now().UTC()
	}
	for s := range h.subs {
		if s.keep != nil && !s.keep(e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			h.drop(s)
		}
	}
}

// Subscribe returns a channel of the events keep accepts (all when nil), from now until ctx
// ends or the subscriber falls behind; then the channel is closed.
func (h *Hub) Subscribe(ctx context.Context, keep func(appcluster.Event) bool) <-chan appcluster.Event {
	s := &sub{ch: make(chan appcluster.Event, h.buffer), keep: keep}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		h.drop(s)
		h.mu.Unlock()
	})
	return s.ch
}

// Subscribers reports how many subscribers are live.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *Hub) drop(s *sub) {
	if s.closed {
		return
	}
	s.closed = true
	delete(h.subs, s)
	close(s.ch)
}
