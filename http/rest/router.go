package rest

import (
	"fmt"

	"github.com/pitrix/pitrix/actors/authz"
	"slices"
	"strings"
)

// handlerFunc serves one routed request. It writes the success response itself and returns an
// error for the error table to answer.
type handlerFunc func(s *Server, r *request) error

// route is one method on one pattern.
type route struct {
	method  string
	pattern string
	public  bool       // served without a bearer token
	ops     bool       // /healthz and /readyz: never shed by the in-flight limit
	body    bodyKind   // which body limit applies
	rule    authz.Rule // who may call it (set by routes from the permission table)
	handle  handlerFunc
}

// param is one {name} segment of a matched path. Values are substrings of a path string the
// router's caller copied out of fasthttp's buffers, so they outlive the request.
type param struct {
	name, value string
}

// node is one segment position of the routing tree: static children win over a {param} child,
// which wins over a {name...} catch-all that takes the rest of the path (slashes included).
type node struct {
	static   map[string]*node
	param    *node
	paramKey string
	rest     *node
	restKey  string
	routes   map[string]*route // by method
}

// router is a small tree router of static and {param} segments. It is built once by New and only
// read afterwards, so lookups need no locking.
type router struct {
	root   node
	routes []*route // registration order, for metrics and the OpenAPI test
}

// add registers method on pattern ("/v1/repos/{id}", "/v1/app_versions/{id}/files/{path...}").
func (rt *router) add(method, pattern string, public bool, h handlerFunc) (*route, error) {
	if !strings.HasPrefix(pattern, "/") {
		return nil, fmt.Errorf("rest: route %s %q: pattern must start with /", method, pattern)
	}
	n := &rt.root
	var segs []string // "/" is the root node itself
	if pattern != "/" {
		segs = strings.Split(pattern[1:], "/")
	}
	for i, seg := range segs {
		switch {
		case seg == "":
			return nil, fmt.Errorf("rest: route %s %q: empty segment", method, pattern)
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "...}"):
			if i != len(segs)-1 {
				return nil, fmt.Errorf("rest: route %s %q: %s must be the last segment", method, pattern, seg)
			}
			key := seg[1 : len(seg)-4]
			if n.rest == nil {
				n.rest, n.restKey = &node{}, key
			} else if n.restKey != key {
				return nil, fmt.Errorf("rest: route %s %q: %s conflicts with {%s...}", method, pattern, seg, n.restKey)
			}
			n = n.rest
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
			key := seg[1 : len(seg)-1]
			if n.param == nil {
				n.param, n.paramKey = &node{}, key
			} else if n.paramKey != key {
				return nil, fmt.Errorf("rest: route %s %q: {%s} conflicts with {%s}", method, pattern, key, n.paramKey)
			}
			n = n.param
		default:
			if n.static == nil {
				n.static = map[string]*node{}
			}
			c := n.static[seg]
			if c == nil {
				c = &node{}
				n.static[seg] = c
			}
			n = c
		}
	}
	if n.routes == nil {
		n.routes = map[string]*route{}
	}
	if _, dup := n.routes[method]; dup {
		return nil, fmt.Errorf("rest: route %s %q registered twice", method, pattern)
	}
	r := &route{method: method, pattern: pattern, public: public, handle: h}
	n.routes[method] = r
	rt.routes = append(rt.routes, r)
	return r, nil
}

// lookup finds the route for method and path (a copied, normalized path). With no route for the
// method it returns the methods the path does allow (nil when the path is unknown). HEAD is
// served by GET routes.
func (rt *router) lookup(method, path string, ps []param) (r *route, params []param, allow []string) {
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		path = path[:len(path)-1]
	}
	if !strings.HasPrefix(path, "/") {
		return nil, ps, nil
	}
	var segs []string
	if path != "/" {
		segs = strings.Split(path[1:], "/")
	}
	want := method
	if method == "HEAD" {
		want = "GET"
	}
	if n, got := rt.root.match(segs, ps, func(n *node) bool { return n.routes[want] != nil }); n != nil {
		return n.routes[want], got, nil
	}
	n, _ := rt.root.match(segs, ps[:0], func(n *node) bool { return len(n.routes) > 0 })
	if n == nil {
		return nil, ps[:0], nil
	}
	for m := range n.routes {
		allow = append(allow, m)
		if m == "GET" {
			allow = append(allow, "HEAD")
		}
	}
	slices.Sort(allow)
	return nil, ps[:0], allow
}

// match walks segs from n depth-first (static, then {param}, then catch-all) and returns the
// first node accepted by ok, with the params collected on the way.
func (n *node) match(segs []string, ps []param, ok func(*node) bool) (*node, []param) {
	if len(segs) == 0 {
		if ok(n) {
			return n, ps
		}
		return nil, ps
	}
	seg := segs[0]
	if c := n.static[seg]; c != nil {
		if m, got := c.match(segs[1:], ps, ok); m != nil {
			return m, got
		}
	}
	if n.param != nil && seg != "" {
		if m, got := n.param.match(segs[1:], append(ps, param{n.paramKey, seg}), ok); m != nil {
			return m, got
		}
	}
	if n.rest != nil && ok(n.rest) {
		restPath := strings.Join(segs, "/")
		if restPath != "" && !slices.Contains(segs, "") {
			return n.rest, append(ps, param{n.restKey, restPath})
		}
	}
	return nil, ps
}
