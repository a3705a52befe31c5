package benchkit

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/http/client"
)

// JobStream reads GET /v1/events and notes when each job's final event (successful or failed)
// arrived. Close ends the stream and waits for its reader.
type JobStream struct {
	s    *client.EventStream
	done chan struct{} // closed when the reader has returned

	mu      sync.Mutex
	ended   map[string]JobEnd // job id → its final event
	changed chan struct{}     // closed and replaced on every change
	err     error             // why the stream ended
}

// JobEnd is a job's final event: when it arrived and the status it ended in.
type JobEnd struct {
	At     time.Time
	Status string
}

// OpenJobStream opens the event stream; it returns once the server has answered, so every
// job created afterwards is on it. ctx bounds the stream's whole life.
func OpenJobStream(ctx context.Context, c *client.Client) (*JobStream, error) {
	s, err := c.OpenEvents(ctx, "/v1/events", nil)
	if err != nil {
		return nil, fmt.Errorf("open event stream: %w", err)
	}
	j := &JobStream{s: s, done: make(chan struct{}), ended: map[string]JobEnd{}, changed: make(chan struct{})}
	go j.read()
	return j, nil
}

func (j *JobStream) read() {
	defer close(j.done)
	for {
		ev, err := j.s.Next()
		at := time.Now()
		if err != nil {
			j.note(func() { j.err = fmt.Errorf("event stream ended: %w", err) })
			return
		}
		if ev.Type != "job" {
			continue
		}
		var e struct {
			Data appcluster.Job `json:"data"`
		}
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			j.note(func() { j.err = fmt.Errorf("event %s: %w", ev.ID, err) })
			return
		}
		if st := e.Data.Status; st == appcluster.JobSuccessful || st == appcluster.JobFailed {
			j.note(func() {
				if _, ok := j.ended[e.Data.ID]; !ok {
					j.ended[e.Data.ID] = JobEnd{At: at, Status: st}
				}
			})
		}
	}
}

func (j *JobStream) note(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f()
	close(j.changed)
	j.changed = make(chan struct{})
}

// EndOf waits until the job's final event has arrived and returns it.
func (j *JobStream) EndOf(ctx context.Context, jobID string) (JobEnd, error) {
	for {
		j.mu.Lock()
		end, ok := j.ended[jobID]
		err, changed := j.err, j.changed
		j.mu.Unlock()
		switch {
		case ok:
			return end, nil
		case err != nil:
			return JobEnd{}, err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return JobEnd{}, fmt.Errorf("no final event of job %s: %w", jobID, ctx.Err())
		}
	}
}

// Close ends the stream and waits for its reader.
func (j *JobStream) Close() {
	_ = j.s.Close()
	<-j.done
}
