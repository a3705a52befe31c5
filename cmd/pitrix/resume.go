package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pitrix/pitrix/actors/control"
	"github.com/pitrix/pitrix/actors/store/replica"
)

// resumeEvery is how often the raft leader pokes the clusters that have unfinished jobs.
const resumeEvery = 3 * time.Second

// resumeJobs keeps jobs going when a node dies: the actor of a cluster hosted there comes back
// empty on another node only when it gets a message, so the raft leader (one node of the
// cluster at a time) sends one to every cluster with an unfinished job. A live activation
// ignores it (it runs one job at a time); a new one reloads the job from the store and resumes
// it from its first unfinished task. It returns when ctx ends.
func resumeJobs(ctx context.Context, st *replica.Replica, plane *control.Plane, log *slog.Logger) error {
	t := time.NewTicker(resumeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if st.Status().State != "Leader" {
			continue
		}
		if n, err := plane.ResumeJobs(ctx); err != nil {
			log.Warn("resume unfinished jobs", "err", err)
		} else if n > 0 {
			log.Debug("poked clusters with unfinished jobs", "clusters", n)
		}
	}
}
