package eventhub

import (
	"context"
	"testing"

	"github.com/pitrix/pitrix/actors/appcluster"
)

func TestPublishSubscribe(t *testing.T) {
	h := New(2)
	ctx, cancel := context.WithCancel(t.Context())
	all := h.Subscribe(ctx, nil)
	mine := h.Subscribe(t.Context(), func(e appcluster.Event) bool { return e.ClusterID == "cl-1" })
	h.Publish(appcluster.Event{Type: "job", ClusterID: "cl-1"})
	h.Publish(appcluster.Event{Type: "job", ClusterID: "cl-2"})
	e1, e2 := <-all, <-all
	if e1.Seq != 1 || e2.Seq != 2 || e2.ClusterID != "cl-2" || e1.At.IsZero() {
		t.Fatalf("all got %+v %+v", e1, e2)
	}
	if e := <-mine; e.ClusterID != "cl-1" || e.Seq != 1 {
		t.Fatalf("mine got %+v", e)
	}
	cancel()
	if _, open := <-all; open {
		t.Fatal("a canceled subscription stays open")
	}
	// A subscriber that falls a buffer behind is dropped, and Publish never blocks.
	for range 5 {
		h.Publish(appcluster.Event{Type: "task", ClusterID: "cl-1"})
	}
	n := 0
	for range mine {
		n++
	}
	if n != 2 || h.Subscribers() != 0 {
		t.Fatalf("a slow subscriber got %d events and %d subscribers remain; want 2 then dropped", n, h.Subscribers())
	}
}
