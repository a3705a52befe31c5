package wire

import (
	"fmt"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
)

const (
	pingName = "pitrix.edge.Ping"
	pongName = "pitrix.edge.Pong"
)

// pingLoop detects a dead peer. Any frame received proves the peer alive; when nothing came
// for half a PingInterval the session pings, and when nothing came for PingTimeout it ends
// with ErrPeerSilent. The ping goes through the control queue and is dropped when that is
// full: then the writer is busy, and a missing pong is the peer's silence either way.
func (s *Session) pingLoop() {
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.dying:
			return
		}
		idle := time.Duration(s.since() - s.lastRead.Load())
		if idle >= s.cfg.PingTimeout {
			s.fail(fmt.Errorf("%w: nothing received for %s (timeout %s)", ErrPeerSilent, idle.Round(time.Millisecond), s.cfg.PingTimeout))
			return
		}
		if idle >= s.cfg.PingInterval/2 {
			id := s.nextID.Add(1)
			s.control(&edgepb.Envelope{Id: id, Type: pingName, Payload: mustMarshalNonce(1, id)})
		}
	}
}

// answerPing replies to a ping from the reader goroutine, without waiting: a reader that
// waits on its own writer can deadlock with a peer doing the same.
func (s *Session) answerPing(env *edgepb.Envelope) {
	ping := &edgepb.Ping{}
	if _, err := decodePayloadInto(env.Payload, ping); err != nil {
		s.control(&edgepb.Envelope{ReplyTo: env.Id, ErrorCode: CodeBadPayload, ErrorMessage: err.Error()})
		return
	}
	s.pings.Add(1)
	s.control(&edgepb.Envelope{ReplyTo: env.Id, Type: pongName, Payload: mustMarshalNonce(1, ping.Nonce)})
}

// control queues a small frame without waiting; it is dropped when the control queue is full.
func (s *Session) control(env *edgepb.Envelope) {
	frame, err := appendFrame(nil, env, s.cfg.MaxFrame)
	if err != nil {
		return
	}
	select {
	case s.ctrlq <- outFrame{b: frame}:
	default:
		s.log.Debug("edge control frame dropped: queue full", "type", env.Type)
	}
}
