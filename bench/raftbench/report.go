package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

func (r *report) print(out io.Writer) {
	fmt.Fprintf(out, "raftbench %s, GOMAXPROCS %d, data in %s (temporary, on disk, fsynced)\n",
		r.Started.UTC().Format(time.RFC3339), r.Procs, r.Dir)
	if len(r.Writes) > 0 {
		fmt.Fprintln(out, "\nDurable writes/s (one op per Apply; replicated writers go round all nodes):")
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "writers\tsystem\tnodes\twrites/s\t× store\t× pebble\tp50\tp99\twrites/fsync\terrors\t")
		var storeRate, pebbleRate float64
		for _, w := range r.Writes {
			switch w.System {
			case "pebble Set, Sync":
				pebbleRate = w.rate()
			case "store.DB Apply":
				storeRate = w.rate()
			}
			nodes, perFsync := "-", "-"
			if w.Nodes > 0 {
				nodes = fmt.Sprint(w.Nodes)
			}
			if w.PerFsync > 0 {
				perFsync = fmt.Sprintf("%.1f", w.PerFsync)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t\n", w.Writers, w.System, nodes, w.rate(),
				ratio(w.rate(), storeRate), ratio(w.rate(), pebbleRate), round(w.P50), round(w.P99), perFsync, w.Errors)
		}
		tw.Flush()
		for _, w := range r.Writes {
			if w.FirstErr != "" {
				fmt.Fprintf(out, "  first error (%s, %d nodes, %d writers): %s\n", w.System, w.Nodes, w.Writers, w.FirstErr)
			}
		}
		fmt.Fprintln(out, "  writes/fsync: store group size (baseline) or entries per ApplyLog batch on the leader (replica).")
	}
	if len(r.Joins) > 0 {
		fmt.Fprintln(out, "\nJoin → serving (a 4th node joins a 3-node cluster; join list: the followers, then the leader):")
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "via\traft timing\trecords\tlast log index\tOpen returned\tSync + read\t")
		for _, j := range r.Joins {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t\n", j.Via, j.Timing, j.Records, j.Entries, round(j.Open), round(j.Serving))
		}
		tw.Flush()
	}
	if len(r.Failover) > 0 {
		fmt.Fprintln(out, "\nFailover (leader of 3 stopped with Close; times from the Close call):")
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "raft timing\trun\tClose took\tnew leader seen\twrite through a survivor OK\tfailed probes\t")
		for _, f := range r.Failover {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t\n", f.Timing, f.Run, round(f.Close), round(f.NewLeader), round(f.WriteOK), f.Failed)
		}
		tw.Flush()
	}
}

func ratio(v, base float64) string {
	if base <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v/base)
}

func round(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}
