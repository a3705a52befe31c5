package main

import (
	"fmt"
	"net"

	"github.com/valyala/fasthttp"
)

// bareHandler answers every request with body and content type ctype: the least any fasthttp
// server can do to answer GET /v1/apps/{id}, the baseline the REST front is measured against.
// It keeps body and never changes it.
func bareHandler(body []byte, ctype string) fasthttp.RequestHandler {
	return func(fc *fasthttp.RequestCtx) {
		fc.SetContentType(ctype)
		fc.SetBody(body)
	}
}

// bare is the baseline's server on a loopback port.
type bare struct {
	srv    *fasthttp.Server
	addr   string
	served chan error
}

// startBare serves bareHandler(body, ctype) on 127.0.0.1 port 0 until Close.
func startBare(body []byte, ctype string) (*bare, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the bare server: %w", err)
	}
	b := &bare{srv: &fasthttp.Server{Handler: bareHandler(body, ctype), Name: "bare", CloseOnShutdown: true}, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { b.served <- b.srv.Serve(ln) }()
	return b, nil
}

// Close stops the server, closes its connections and waits for Serve to return.
func (b *bare) Close() error {
	err := b.srv.Shutdown()
	if serr := <-b.served; err == nil {
		err = serr
	}
	return err
}
