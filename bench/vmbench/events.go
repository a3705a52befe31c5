package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/http/client"
)

// jobStream reads GET /v1/events and notes when each job's final event (successful or failed)
// arrived. Close ends the stream and waits for its reader.
type jobStream struct {
	s    *client.EventStream
	done chan struct{} // closed when the reader has returned

	mu      sync.Mutex
	ended   map[string]jobEnd // job id → its final event
	changed chan struct{}     // closed and replaced on every change
	err     error             // why the stream ended
}

// jobEnd is a job's final event and when it arrived.
type jobEnd struct {
	at     time.Time
	status string
}

// openJobStream opens the event stream; it returns once the server has answered, so every
// job created afterwards is on it. ctx bounds the stream's whole life.
func openJobStream(ctx context.Context, c *client.Client) (*jobStream, error) {
	s, err := c.OpenEvents(ctx, "/v1/events", nil)
	if err != nil {
		return nil, fmt.Errorf("open event stream: %w", err)
	}
	j := &jobStream{s: s, done: make(chan struct{}), ended: map[string]jobEnd{}, changed: make(chan struct{})}
	go j.read()
	return j, nil
}

func (j *jobStream) read() {
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
					j.ended[e.Data.ID] = jobEnd{at: at, status: st}
				}
			})
		}
	}
}

func (j *jobStream) note(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f()
	close(j.changed)
	j.changed = make(chan struct{})
}

// endOf waits until the job's final event has arrived and returns it.
func (j *jobStream) endOf(ctx context.Context, jobID string) (jobEnd, error) {
	for {
		j.mu.Lock()
		end, ok := j.ended[jobID]
		err, changed := j.err, j.changed
		j.mu.Unlock()
		switch {
		case ok:
			return end, nil
		case err != nil:
			return jobEnd{}, err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return jobEnd{}, fmt.Errorf("no final event of job %s: %w", jobID, ctx.Err())
		}
	}
}

// Close ends the stream and waits for its reader.
func (j *jobStream) Close() {
	_ = j.s.Close()
	<-j.done
}
