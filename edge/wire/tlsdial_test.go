package wire

import (
	"context"
	"crypto/tls"
	"net"
)

func tlsDial(ctx context.Context, addr string, cfg *tls.Config) (net.Conn, error) {
	d := tls.Dialer{Config: cfg}
	return d.DialContext(ctx, "tcp", addr)
}
