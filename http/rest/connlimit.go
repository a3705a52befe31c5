package rest

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// perIPListener limits the open connections of each client address (Config.MaxConnsPerIP).
// fasthttp's own MaxConnsPerIP is not used: it counts IPv4 only, and it pools its connection
// wrappers, so the event stream writer (which outlives its handler) could touch a recycled one.
type perIPListener struct {
	net.Listener
	max     int
	refused *atomic.Uint64 // counts connections over the limit

	mu sync.Mutex
	n  map[netip.Addr]int
}

func limitPerIP(ln net.Listener, maxConns int, refused *atomic.Uint64) *perIPListener {
	return &perIPListener{Listener: ln, max: maxConns, refused: refused, n: map[netip.Addr]int{}}
}

// connRefused is written to a connection over the per-address limit before it is closed.
var connRefused = func() []byte {
	body := `{"error":{"code":"overloaded","message":"too many connections from your address; retry later","details":{}}}` + "\n"
	return []byte("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n" +
		"Retry-After: " + strconv.Itoa(retryAfterSeconds) + "\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// Accept returns the next connection whose address is under the limit; connections over it
// get a 429 and are closed here.
func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		ok := l.n[ip] < l.max
		if ok {
			l.n[ip]++
		}
		l.mu.Unlock()
		if ok {
			return &perIPConn{Conn: c, l: l, ip: ip}, nil
		}
		l.refused.Add(1)
		// The answer fits the socket buffer; the deadline only guards a peer that never reads.
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(connRefused)
		_ = c.Close()
	}
}

// open reports the connections of ip now counted.
func (l *perIPListener) open(ip netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[ip]
}

func (l *perIPListener) done(ip netip.Addr) {
	l.mu.Lock()
	if l.n[ip]--; l.n[ip] <= 0 {
		delete(l.n, ip)
	}
	l.mu.Unlock()
}

// remoteIP is the client address of c (IPv4-mapped IPv6 unmapped); the zero Addr when c is not
// an IP connection, so such connections share one count.
func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// perIPConn gives its count back once, on the first Close.
type perIPConn struct {
	net.Conn
	l    *perIPListener
	ip   netip.Addr
	once sync.Once
}

func (c *perIPConn) Close() error {
	c.once.Do(func() { c.l.done(c.ip) })
	return c.Conn.Close()
}
