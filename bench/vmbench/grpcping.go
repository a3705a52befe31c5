package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/pitrix/pitrix/edge/gateway"
	"github.com/pitrix/pitrix/edge/pki"
)

// grpcPing is a gRPC server with the standard health service on a loopback port and one
// client connection to it: the baseline of a unary round trip. Close stops both.
type grpcPing struct {
	srv    *grpc.Server
	conn   *grpc.ClientConn
	hc     healthpb.HealthClient
	served chan error
}

// tlsPair is the server's and the client's TLS configuration of an mTLS grpcPing.
type tlsPair struct{ server, client *tls.Config }

// mTLSPair issues a server and a client certificate from the edge gateway's CA and builds the
// same TLS configurations the edge uses (TLS 1.3, client certificate required, identities
// checked).
func mTLSPair(g *gateway.Gateway) (*tlsPair, error) {
	sc, sk, err := g.Issue(pki.KindServer, "grpc-vmbench", 0, "127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("issue gRPC server certificate: %w", err)
	}
	cc, ck, err := g.Issue(pki.KindFrontgate, "fg-grpc-vmbench", 0)
	if err != nil {
		return nil, fmt.Errorf("issue gRPC client certificate: %w", err)
	}
	server, err := pki.ServerTLS(sc, sk, g.CA())
	if err != nil {
		return nil, err
	}
	client, err := pki.ClientTLS(cc, ck, g.CA(), "127.0.0.1")
	if err != nil {
		return nil, err
	}
	return &tlsPair{server: server, client: client}, nil
}

// startGRPC serves the health service on 127.0.0.1 port 0, over TLS when tc is set, and
// connects a client, which it checks once so the connection is up before it returns.
func startGRPC(ctx context.Context, tc *tlsPair) (*grpcPing, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var sopts []grpc.ServerOption
	copts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if tc != nil {
		sopts = append(sopts, grpc.Creds(credentials.NewTLS(tc.server)))
		copts = []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(tc.client))}
	}
	p := &grpcPing{srv: grpc.NewServer(sopts...), served: make(chan error, 1)}
	healthpb.RegisterHealthServer(p.srv, health.NewServer())
	go func() { p.served <- p.srv.Serve(ln) }()
	p.conn, err = grpc.NewClient("passthrough:///"+ln.Addr().String(), copts...)
	if err != nil {
		p.srv.Stop()
		<-p.served
		return nil, fmt.Errorf("gRPC client of %s: %w", ln.Addr(), err)
	}
	p.hc = healthpb.NewHealthClient(p.conn)
	if err := p.Check(ctx, 0); err != nil {
		return nil, errors.Join(fmt.Errorf("first gRPC health check of %s: %w", ln.Addr(), err), p.Close())
	}
	return p, nil
}

// Check is one unary health Check; the server must answer SERVING.
func (p *grpcPing) Check(ctx context.Context, _ int) error {
	res, err := p.hc.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health %v, want SERVING", res.GetStatus())
	}
	return nil
}

// Close closes the client and stops the server, waiting for Serve to return.
func (p *grpcPing) Close() error {
	err := p.conn.Close()
	p.srv.Stop()
	if serr := <-p.served; serr != nil && !errors.Is(serr, grpc.ErrServerStopped) {
		err = errors.Join(err, serr)
	}
	return err
}
