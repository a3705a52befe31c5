package gossip

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustMeta(t *testing.T, m Meta) []byte {
	t.Helper()
	b, err := EncodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// render prints a table as "id:state" pairs, members then topology, so a
// transition reads as one line.
func render(tb *table) string {
	var ms, topo []string
	for _, m := range tb.list() {
		ms = append(ms, m.ID+":"+m.State.String())
	}
	for _, m := range tb.topology() {
		topo = append(topo, fmt.Sprintf("%s@%s:%d", m.Id, m.Host, m.Port))
	}
	return strings.Join(ms, " ") + " | " + strings.Join(topo, " ")
}

func TestTableTransitions(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	a := Meta{Host: "127.0.0.1", Port: 1001, Kinds: []string{"echo"}}
	b := Meta{Host: "127.0.0.1", Port: 1002, Kinds: []string{"echo"}}
	bLeaving := b
	bLeaving.Leaving = true

	type step struct {
		do   func(tb *table)
		want string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"join then dead", []step{
			{func(tb *table) { tb.upsert("a", "g:1", mustMeta(t, a), t0) }, "a:alive | a@127.0.0.1:1001"},
			{func(tb *table) { tb.upsert("b", "g:2", mustMeta(t, b), t0) }, "a:alive b:alive | a@127.0.0.1:1001 b@127.0.0.1:1002"},
			{func(tb *table) { tb.leave("b", "g:2", t0) }, "a:alive b:dead | a@127.0.0.1:1001"},
		}},
		{"announced leave then gone is left", []step{
			{func(tb *table) { tb.upsert("a", "g:1", mustMeta(t, a), t0) }, "a:alive | a@127.0.0.1:1001"},
			{func(tb *table) { tb.upsert("b", "g:2", mustMeta(t, b), t0) }, "a:alive b:alive | a@127.0.0.1:1001 b@127.0.0.1:1002"},
			{func(tb *table) { tb.upsert("b", "g:2", mustMeta(t, bLeaving), t0) }, "a:alive b:left | a@127.0.0.1:1001"},
			{func(tb *table) { tb.leave("b", "g:2", t0) }, "a:alive b:left | a@127.0.0.1:1001"},
		}},
		{"suspect stays placed, ack clears", []step{
			{func(tb *table) { tb.upsert("b", "g:2", mustMeta(t, b), t0) }, "b:alive | b@127.0.0.1:1002"},
			{func(tb *table) { tb.suspect("b", t0) }, "b:suspect | b@127.0.0.1:1002"},
			{func(tb *table) { tb.acked("b", t0) }, "b:alive | b@127.0.0.1:1002"},
			{func(tb *table) { tb.suspect("b", t0); tb.leave("b", "g:2", t0) }, "b:dead | "},
			{func(tb *table) { tb.suspect("b", t0); tb.acked("b", t0) }, "b:dead | "},
		}},
		{"bad metadata is listed, never placed", []step{
			{func(tb *table) { tb.upsert("x", "g:9", []byte("junk"), t0) }, "x:alive | "},
		}},
		{"rejoin after dead", []step{
			{func(tb *table) { tb.leave("b", "g:2", t0) }, "b:dead | "},
			{func(tb *table) { tb.upsert("b", "g:2", mustMeta(t, b), t0) }, "b:alive | b@127.0.0.1:1002"},
		}},
		{"unknown suspect ignored", []step{
			{func(tb *table) { tb.suspect("zz", t0) }, " | "},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := newTable("a")
			for i, s := range tt.steps {
				s.do(tb)
				if got := render(tb); got != s.want {
					t.Fatalf("step %d: got %q, want %q", i, got, s.want)
				}
			}
		})
	}
}

func TestTableSelfAndCopies(t *testing.T) {
	t.Parallel()
	tb := newTable("a")
	tb.upsert("a", "g:1", mustMeta(t, Meta{Host: "h", Port: 1, Kinds: []string{"k"}}), time.Unix(1, 0))
	list := tb.list()
	if len(list) != 1 || !list[0].Self || list[0].Address() != "h:1" || list[0].GossipAddr != "g:1" {
		t.Fatalf("list = %+v", list)
	}
	list[0].Kinds[0] = "mutated"
	if got := tb.list()[0].Kinds[0]; got != "k" {
		t.Fatalf("list shares kinds with the table: %q", got)
	}
}

func TestTablePrunesDeparted(t *testing.T) {
	t.Parallel()
	tb := newTable("self")
	t0 := time.Unix(0, 0)
	for i := range maxDeparted + 10 {
		tb.leave(fmt.Sprintf("n%03d", i), "g:1", t0.Add(time.Duration(i)*time.Second))
	}
	tb.upsert("self", "g:0", mustMeta(t, Meta{Host: "h", Port: 1}), t0)
	if got := len(tb.members); got != maxDeparted+1 {
		t.Fatalf("%d members kept, want %d", got, maxDeparted+1)
	}
	if _, ok := tb.members["n000"]; ok {
		t.Fatal("oldest departed member kept")
	}
	if _, ok := tb.members[fmt.Sprintf("n%03d", maxDeparted+9)]; !ok {
		t.Fatal("newest departed member dropped")
	}
}

func TestStateText(t *testing.T) {
	t.Parallel()
	for s, want := range map[State]string{Alive: "alive", Suspect: "suspect", Dead: "dead", Left: "left"} {
		b, err := s.MarshalText()
		if err != nil || string(b) != want || s.String() != want {
			t.Errorf("%d: MarshalText = %q, %v; String = %q; want %q", int(s), b, err, s.String(), want)
		}
	}
	if _, err := State(9).MarshalText(); err == nil {
		t.Error("MarshalText of unknown state succeeded")
	}
}
