package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrRefused marks a connection the guard refused; test with errors.Is.
var ErrRefused = errors.New("netguard: address refused")

// RefusedError says which host and address were refused, and why.
type RefusedError struct {
	Host   string     // the name or address asked for, "" when unknown (inside Control)
	Addr   netip.Addr // the resolved address that was refused
	Reason string     // e.g. "link-local address", "private address"
}

func (e *RefusedError) Error() string {
	who := e.Addr.String()
	if e.Host != "" && e.Host != who {
		who = e.Host + " (" + who + ")"
	}
	return "refusing to connect to " + who + ": " + e.Reason + " (an admin may allow its range with --allow-fetch)"
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Config configures a Guard. The zero value refuses every special range.
type Config struct {
	// Allow lists the ranges let through although they are refused by default, e.g.
	// 127.0.0.0/8 for tests and a development repo on loopback. Keep it narrow: every
	// address in it is reachable by any user who can name a repo URL.
	Allow []netip.Prefix
	// MaxRedirects caps redirects per request. Default 5; negative means none.
	MaxRedirects int
	// DialTimeout bounds establishing one connection. Default 10s.
	DialTimeout time.Duration
}

// Defaults for zero Config fields.
const (
	DefaultMaxRedirects = 5
	DefaultDialTimeout  = 10 * time.Second
)

func (c Config) withDefaults() Config {
	switch {
	case c.MaxRedirects == 0:
		c.MaxRedirects = DefaultMaxRedirects
	case c.MaxRedirects < 0:
		c.MaxRedirects = 0
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	return c
}

// Validate reports bad settings.
func (c Config) Validate() error {
	for _, p := range c.Allow {
		if !p.IsValid() {
			return fmt.Errorf("netguard: config: allowed range %v is not valid", p)
		}
	}
	if c.DialTimeout < 0 {
		return fmt.Errorf("netguard: config: dial timeout %s is negative", c.DialTimeout)
	}
	return nil
}

// ParseAllow parses a comma-separated list of CIDRs or single addresses ("127.0.0.0/8,
// ::1") as given to --allow-fetch. Blank items are skipped.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			a, err := netip.ParseAddr(item)
			if err != nil {
				return nil, fmt.Errorf("allowed range %q: want a CIDR or an address: %w", item, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("allowed range %q: %w", item, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// refused are the ranges refused by default, with the reason given in errors. Order
// matters only for the wording: the first match names the reason.
var refused = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified or 'this network' address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local address (cloud metadata service)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast address"},
	{netip.MustParsePrefix("::/128"), "unspecified address"},
	{netip.MustParsePrefix("::1/128"), "loopback address"},
	{netip.MustParsePrefix("fe80::/10"), "link-local address"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local) address"},
	{netip.MustParsePrefix("ff00::/8"), "multicast address"},
	{netip.MustParsePrefix("fec0::/10"), "site-local address"},
}

// nat64 is the well-known NAT64 prefix, whose last 32 bits are an IPv4 address that a
// NAT64 gateway would connect to.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Guard decides which addresses outbound connections may reach. It is safe for concurrent
// use.
type Guard struct {
	cfg Config
}

// New returns a Guard for cfg.
func New(cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Guard{cfg: cfg.withDefaults()}, nil
}

// Check is the decision: nil when ip may be connected to, a *RefusedError (naming no
// host) otherwise. IPv4-mapped IPv6 and NAT64 addresses are judged by their IPv4 address.
func (g *Guard) Check(ip netip.Addr) error {
	if !ip.IsValid() {
		return &RefusedError{Addr: ip, Reason: "not a valid address"}
	}
	ip = ip.Unmap().WithZone("")
	judged := ip
	if nat64.Contains(ip) {
		b := ip.As16()
		judged = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, p := range g.cfg.Allow {
		if p.Contains(judged) || p.Contains(ip) {
			return nil
		}
	}
	for _, r := range refused {
		if r.prefix.Contains(judged) {
			return &RefusedError{Addr: ip, Reason: r.reason}
		}
	}
	return nil
}

// Control is a net.Dialer.Control: it runs after resolution, before the connect system
// call, on the address actually dialled, and refuses what Check refuses.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Reason: fmt.Sprintf("cannot judge address %q on %s", address, network)}
	}
	return g.Check(ap.Addr())
}

// Dialer returns a net.Dialer whose every connection passes Control.
func (g *Guard) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: g.cfg.DialTimeout, KeepAlive: 30 * time.Second, Control: g.Control}
}

// DialContext dials through Dialer and names the host asked for in a refusal.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := g.Dialer().DialContext(ctx, network, addr)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			host, _, splitErr := net.SplitHostPort(addr)
			if splitErr != nil {
				host = addr
			}
			named := *re
			named.Host = host
			return nil, &named
		}
		return nil, err
	}
	return c, nil
}

// Transport returns a new HTTP transport that dials through the guard and uses no proxy.
func (g *Guard) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = g.DialContext
	t.DialTLSContext = nil
	return t
}

// Client returns a new HTTP client over Transport that follows at most
// Config.MaxRedirects redirects, each of them dialled through the guard.
func (g *Guard) Client() *http.Client {
	return &http.Client{Transport: g.Transport(), CheckRedirect: g.CheckRedirect}
}

// CheckRedirect is an http.Client.CheckRedirect that caps redirects and allows only http
// and https targets; where a redirect may connect is decided when it dials.
func (g *Guard) CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > g.cfg.MaxRedirects {
		return fmt.Errorf("netguard: stopped after %d redirects (at %s)", g.cfg.MaxRedirects, req.URL.Redacted())
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("netguard: redirect to %s: scheme must be http or https", req.URL.Redacted())
	}
	return nil
}
