package rest

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// perIPListener limits the open connections in total (Config.MaxConns) and of each client
// address (Config.MaxConnsPerIP), answering those over a limit with the contract's JSON error
// and Retry-After. fasthttp's own MaxConnsPerIP is not used: it counts IPv4 only, and it pools
// its connection wrappers, so the event stream writer (which outlives its handler) could touch a
// recycled one. fasthttp's Concurrency stays as a backstop above MaxConns.
type perIPListener struct {
	net.Listener
	maxTotal, maxPerIP int
	refused            *refusedConns

	mu    sync.Mutex
	total int
	n     map[netip.Addr]int
}

// refusedConns counts connections closed at accept, by limit.
type refusedConns struct {
	perIP, total atomic.Uint64
}

func limitConns(ln net.Listener, maxTotal, maxPerIP int, refused *refusedConns) *perIPListener {
	return &perIPListener{Listener: ln, maxTotal: maxTotal, maxPerIP: maxPerIP, refused: refused, n: map[netip.Addr]int{}}
}

// refusal is the whole HTTP answer written to a connection refused at accept.
func refusal(status int, reason, code, msg string) []byte {
	body := `{"error":{"code":"` + code + `","message":"` + msg + `","details":{}}}` + "\n"
	return []byte("HTTP/1.1 " + strconv.Itoa(status) + " " + reason +
		"\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nRetry-After: " +
		strconv.Itoa(retryAfterSeconds) + "\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

var (
	refusedPerIP = refusal(429, "Too Many Requests", "overloaded", "too many connections from your address; retry later")
	refusedTotal = refusal(503, "Service Unavailable", "unavailable", "the server is at its connection limit; retry later")
)

// Accept returns the next connection under both limits; connections over one get a 429 (per
// address) or 503 (in total) and are closed here.
func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		var answer []byte
		l.mu.Lock()
		switch {
		case l.total >= l.maxTotal:
			answer = refusedTotal
			l.refused.total.Add(1)
		case l.n[ip] >= l.maxPerIP:
			answer = refusedPerIP
			l.refused.perIP.Add(1)
		default:
			l.total++
			l.n[ip]++
		}
		l.mu.Unlock()
		if answer == nil {
			return &perIPConn{Conn: c, l: l, ip: ip}, nil
		}
		// The answer fits the socket buffer; the deadline only guards a peer that never reads.
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(answer)
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
	l.total--
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
