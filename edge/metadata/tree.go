package metadata

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every error Cluster.Validate returns.
var ErrInvalid = errors.New("metadata: invalid cluster")

// Host is one instance (node) of a cluster.
type Host struct {
	InstanceID string `json:"instance_id"`
	NodeID     string `json:"node_id,omitempty"`
	Role       string `json:"role,omitempty"`
	IP         string `json:"ip,omitempty"`
	SID        int    `json:"sid,omitempty"`         // server id, unique in the cluster
	GID        int    `json:"gid,omitempty"`         // group id (replica groups)
	CPU        int    `json:"cpu,omitempty"`         // cores
	Memory     int    `json:"memory,omitempty"`      // MiB
	VolumeSize int    `json:"volume_size,omitempty"` // GiB
	PubKey     string `json:"pub_key,omitempty"`
}

// Endpoint is a service the cluster exposes.
type Endpoint struct {
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"`
}

// Cluster describes one app cluster as the control plane registers it in a
// Frontgate.
type Cluster struct {
	ClusterID string              `json:"cluster_id"`
	AppID     string              `json:"app_id,omitempty"`
	Name      string              `json:"name,omitempty"`
	Zone      string              `json:"zone,omitempty"`
	Provider  string              `json:"provider,omitempty"`
	Endpoints map[string]Endpoint `json:"endpoints,omitempty"`
	Hosts     []Host              `json:"hosts,omitempty"`
	// Env maps a role ("" for cluster-wide) to its env keys and values.
	Env map[string]map[string]string `json:"env,omitempty"`
	// Links maps a linked service name to the hosts of the linked cluster.
	Links map[string][]Host `json:"links,omitempty"`
	// Adding and Deleting are the hosts being added or removed by a
	// running scale-out or scale-in; empty otherwise.
	Adding   []Host `json:"adding,omitempty"`
	Deleting []Host `json:"deleting,omitempty"`
	// SingleRole lays hosts out as /hosts/<instance_id> (an app with one
	// unnamed role) instead of /hosts/<role>/<instance_id>.
	SingleRole bool `json:"single_role,omitempty"`
}

// Tree is a cluster's metadata in AppCenter's layout: a flat map from
// absolute slash-separated paths to values. See the package comment for the
// layout.
type Tree map[string]string

// Validate checks that every name that becomes a path segment (ids, roles,
// env keys, endpoint and link names) is one, and that instance ids are unique.
// Every problem is reported at once.
func (c *Cluster) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if err := checkSegment(c.ClusterID); err != nil {
		bad("cluster_id: %v", err)
	}
	for name := range c.Endpoints {
		if err := checkSegment(name); err != nil {
			bad("endpoint %q: %v", name, err)
		}
	}
	checkHosts := func(what string, hosts []Host) {
		seen := map[string]bool{}
		for i, h := range hosts {
			if err := checkSegment(h.InstanceID); err != nil {
				bad("%s[%d].instance_id: %v", what, i, err)
			} else if seen[h.InstanceID] {
				bad("%s[%d]: instance %q listed twice", what, i, h.InstanceID)
			}
			seen[h.InstanceID] = true
			if h.Role == "" && !c.SingleRole && what != "links" {
				bad("%s[%d]: role is required unless single_role is set", what, i)
			} else if h.Role != "" {
				if err := checkSegment(h.Role); err != nil {
					bad("%s[%d].role: %v", what, i, err)
				}
			}
		}
	}
	checkHosts("hosts", c.Hosts)
	checkHosts("adding", c.Adding)
	checkHosts("deleting", c.Deleting)
	for svc, hosts := range c.Links {
		if err := checkSegment(svc); err != nil {
			bad("link %q: %v", svc, err)
		}
		checkHosts("links", hosts)
	}
	for role, kv := range c.Env {
		if role != "" {
			if err := checkSegment(role); err != nil {
				bad("env role %q: %v", role, err)
			}
		}
		for k := range kv {
			if err := checkSegment(k); err != nil {
				bad("env %q key %q: %v", role, k, err)
			}
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("%w %q: %s", ErrInvalid, c.ClusterID, strings.Join(errs, "; "))
	}
	return nil
}

// maxSegment bounds one path segment.
const maxSegment = 253

// checkSegment reports whether s can be one segment of a metadata path.
func checkSegment(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty")
	case len(s) > maxSegment:
		return fmt.Errorf("longer than %d bytes", maxSegment)
	case s == "." || s == "..":
		return fmt.Errorf("%q is not a name", s)
	case strings.ContainsAny(s, "/\x00"):
		return errors.New("must not contain / or NUL")
	}
	return nil
}

// Build lays c out as a Tree. c should pass Validate: names are used as path
// segments as they are. Empty strings are left out; numbers are always set.
func Build(c Cluster) Tree {
	t := Tree{}
	t.setString("/cluster/cluster_id", c.ClusterID)
	t.setString("/cluster/app_id", c.AppID)
	t.setString("/cluster/name", c.Name)
	t.setString("/cluster/zone", c.Zone)
	t.setString("/cluster/provider", c.Provider)
	for name, ep := range c.Endpoints {
		t["/cluster/endpoints/"+name+"/port"] = strconv.Itoa(ep.Port)
		t.setString("/cluster/endpoints/"+name+"/protocol", ep.Protocol)
	}
	for _, h := range c.Hosts {
		t.putHost("/hosts", h, c.SingleRole)
	}
	for _, h := range c.Adding {
		t.putHost("/adding-hosts", h, c.SingleRole)
	}
	for _, h := range c.Deleting {
		t.putHost("/deleting-hosts", h, c.SingleRole)
	}
	for svc, hosts := range c.Links {
		for _, h := range hosts {
			t.putHost("/links/"+svc+"/hosts", h, h.Role == "")
		}
	}
	for role, kv := range c.Env {
		dir := "/env/"
		if role != "" {
			dir = "/roles/" + role + "/env/"
		}
		for k, v := range kv {
			t[dir+k] = v
		}
	}
	return t
}

func (t Tree) putHost(dir string, h Host, single bool) {
	d := dir + "/" + h.Role + "/" + h.InstanceID + "/"
	if single {
		d = dir + "/" + h.InstanceID + "/"
	}
	t.setString(d+"instance_id", h.InstanceID)
	t.setString(d+"node_id", h.NodeID)
	t.setString(d+"role", h.Role)
	t.setString(d+"ip", h.IP)
	t[d+"sid"] = strconv.Itoa(h.SID)
	t[d+"gid"] = strconv.Itoa(h.GID)
	t[d+"cpu"] = strconv.Itoa(h.CPU)
	t[d+"memory"] = strconv.Itoa(h.Memory)
	t[d+"volume_size"] = strconv.Itoa(h.VolumeSize)
	t.setString(d+"pub_key", h.PubKey)
}

func (t Tree) setString(key, v string) {
	if v != "" {
		t[key] = v
	}
}

// Lines renders t as sorted "key = value" lines, for golden files and logs.
func (t Tree) Lines() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(t)) {
		b.WriteString(k)
		b.WriteString(" = ")
		b.WriteString(strconv.Quote(t[k]))
		b.WriteByte('\n')
	}
	return b.String()
}
