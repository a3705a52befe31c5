package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Cluster is a rendered cluster.json: the cluster's shape and lifecycle.
// Fields this package does not interpret are kept as raw JSON; unknown
// fields (AppCenter has many) are ignored.
type Cluster struct {
	Name            string              `json:"name"`
	Description     string              `json:"description,omitempty"`
	Subnet          string              `json:"subnet,omitempty"` // "vxnet" is read as Subnet
	Nodes           []Role              `json:"nodes"`
	Links           map[string]string   `json:"links,omitempty"`
	Endpoints       map[string]Endpoint `json:"endpoints,omitempty"`
	Env             map[string]any      `json:"env,omitempty"`
	HealthCheck     *HealthCheck        `json:"health_check,omitempty"`
	Monitor         *Monitor            `json:"monitor,omitempty"`
	AdvancedActions json.RawMessage     `json:"advanced_actions,omitempty"`
	UpgradePolicy   json.RawMessage     `json:"upgrade_policy,omitempty"`
	BackupPolicy    json.RawMessage     `json:"backup_policy,omitempty"`
}

// Role is one entry of nodes: a group of identical nodes.
type Role struct {
	Role                  string             `json:"role,omitempty"`
	Container             *Container         `json:"container,omitempty"`
	Count                 int                `json:"count"`
	CPU                   int                `json:"cpu,omitempty"`
	Memory                int                `json:"memory,omitempty"` // MiB
	GPU                   int                `json:"gpu,omitempty"`
	InstanceClass         int                `json:"instance_class,omitempty"`
	Volume                *Volume            `json:"volume,omitempty"`
	Replica               json.RawMessage    `json:"replica,omitempty"`
	Passphraseless        string             `json:"passphraseless,omitempty"`
	VerticalScalingPolicy string             `json:"vertical_scaling_policy,omitempty"`
	ServerIDUpperBound    int                `json:"server_id_upper_bound,omitempty"`
	AgentInstalled        *bool              `json:"agent_installed,omitempty"`
	Env                   map[string]any     `json:"env,omitempty"`
	HealthCheck           *HealthCheck       `json:"health_check,omitempty"`
	Monitor               *Monitor           `json:"monitor,omitempty"`
	Services              map[string]Service `json:"services,omitempty"`
	// Loadbalancer is the role's load balancers (AppCenter's
	// "loadbalancer": {{cluster.role.loadbalancer}}), recorded as written.
	Loadbalancer json.RawMessage `json:"loadbalancer,omitempty"`
}

// Container says what a role's nodes run on.
type Container struct {
	Type  string `json:"type"` // kvm, docker, lxc or process
	Image string `json:"image,omitempty"`
	Zone  string `json:"zone,omitempty"`
}

// Volume is a role's data volume.
type Volume struct {
	Size       int    `json:"size,omitempty"` // GiB
	MountPoint string `json:"mount_point,omitempty"`
	// MountPoints are AppCenter's several data disks ("mount_point":
	// ["/data1", "/data2"]): MountPoint is the first, where the volume is
	// mounted; the others are recorded.
	MountPoints []string `json:"mount_points,omitempty"`
	Filesystem  string   `json:"filesystem,omitempty"`
}

// UnmarshalJSON reads mount_point as one path or a list of paths.
func (v *Volume) UnmarshalJSON(b []byte) error {
	type plain Volume
	var aux struct {
		plain
		MountPoint json.RawMessage `json:"mount_point"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*v = Volume(aux.plain)
	if len(aux.MountPoint) == 0 || string(aux.MountPoint) == "null" {
		return nil
	}
	if err := json.Unmarshal(aux.MountPoint, &v.MountPoint); err == nil {
		return nil
	}
	var list []string
	if err := json.Unmarshal(aux.MountPoint, &list); err != nil {
		return fmt.Errorf("volume mount_point is neither a path nor a list of paths")
	}
	v.MountPoints = list
	if len(list) > 0 {
		v.MountPoint = list[0]
	}
	return nil
}

// Endpoint is a service a cluster exposes. Protocol is free text
// ("tcp", "http", "mysql", ...), as AppCenter has it.
type Endpoint struct {
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"`
	// PortRef is a port given as the path of a value ("env.port" or
	// AppCenter's "role.env.port"); Render resolves it into Port.
	PortRef string `json:"-"`
	// PortRange is a range of ports ("30000-32767"); Port is its first.
	PortRange string `json:"port_range,omitempty"`
}

// HealthCheck is a periodic check and the action taken when it fails.
type HealthCheck struct {
	Enable             bool   `json:"enable"`
	IntervalSec        int    `json:"interval_sec,omitempty"`
	TimeoutSec         int    `json:"timeout_sec,omitempty"`
	HealthyThreshold   int    `json:"healthy_threshold,omitempty"`
	UnhealthyThreshold int    `json:"unhealthy_threshold,omitempty"`
	CheckCmd           string `json:"check_cmd,omitempty"`
	ActionCmd          string `json:"action_cmd,omitempty"`
}

// Monitor is a command whose output gives metrics.
type Monitor struct {
	Enable bool            `json:"enable"`
	Cmd    string          `json:"cmd,omitempty"`
	Items  json.RawMessage `json:"items,omitempty"`
}

// Service is a lifecycle step (init, start, ...) or a custom action. An
// empty Cmd is a step that does nothing (AppCenter's "backup" of a
// device-snapshot app has none).
type Service struct {
	Cmd  string `json:"cmd"`
	Type string `json:"type,omitempty"` // "custom" for a custom service
	// ServiceParams are the parameters the service is run with, as the
	// template rendered them ({{service_params.x}}); recorded as written.
	ServiceParams    json.RawMessage `json:"service_params,omitempty"`
	Order            int             `json:"order,omitempty"`
	NodesToExecuteOn int             `json:"nodes_to_execute_on,omitempty"`
	Timeout          int             `json:"timeout,omitempty"` // seconds; 0 means DefaultServiceTimeout
	PostStartService bool            `json:"post_start_service,omitempty"`
	PreCheck         string          `json:"pre_check,omitempty"`
}

// DefaultServiceTimeout is the timeout of a service that sets none, in
// seconds.
const DefaultServiceTimeout = 600

// IsLifecycleService reports whether a service name has a meaning of its own
// (init, start, stop, restart, scale_out, scale_in, destroy, upgrade, backup,
// restore); any other name is a custom service run on demand.
func IsLifecycleService(name string) bool {
	switch name {
	case "init", "start", "stop", "restart", "scale_out", "scale_in", "destroy", "upgrade", "backup", "restore":
		return true
	}
	return false
}

// UnmarshalJSON reads a cluster, accepting AppCenter's "vxnet" for subnet.
func (c *Cluster) UnmarshalJSON(b []byte) error {
	type plain Cluster
	var aux struct {
		plain
		VxNet *string `json:"vxnet"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*c = Cluster(aux.plain)
	if c.Subnet == "" && aux.VxNet != nil {
		c.Subnet = *aux.VxNet
	}
	return nil
}

// UnmarshalJSON reads an endpoint port given as a number or a numeric
// string.
func (e *Endpoint) UnmarshalJSON(b []byte) error {
	var aux struct {
		Port      json.RawMessage `json:"port"`
		Protocol  string          `json:"protocol"`
		PortRange string          `json:"port_range"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	e.Protocol, e.PortRange = aux.Protocol, aux.PortRange
	if len(aux.Port) == 0 || string(aux.Port) == "null" {
		return nil
	}
	raw := aux.Port
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	if m := portRangeRE.FindStringSubmatch(s); m != nil {
		lo, _ := strconv.Atoi(m[1])
		hi, _ := strconv.Atoi(m[2])
		if lo > hi || hi > 65535 {
			return fmt.Errorf("endpoint port range %q is not low-high within 0-65535", s)
		}
		e.Port, e.PortRange = lo, s
		return nil
	}
	port, err := strconv.Atoi(string(raw))
	if err != nil {
		if s != "" && pathRE.MatchString(s) {
			e.PortRef = s
			return nil
		}
		return fmt.Errorf("endpoint port %s is not a number or the path of a value", aux.Port)
	}
	e.Port = port
	return nil
}

var portRangeRE = regexp.MustCompile(`^(\d{1,5})-(\d{1,5})$`)

var (
	roleRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$`)
	// serviceRE: AppCenter names custom services freely ("redeploy WAR for
	// QingStor"); the name is shown (and translated by locale/) as is.
	serviceRE = regexp.MustCompile(`^[^\x00-\x1f\x7f/\\]{1,128}$`)
)

// decodeCluster parses rendered JSON into a Cluster. Errors carry the byte
// offset of the rendered text when there is one.
func decodeCluster(data []byte) (*Cluster, int64, error) {
	var c Cluster
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		var off int64 = -1
		switch e := err.(type) {
		case *json.SyntaxError:
			off = e.Offset - 1 // Offset counts the bad byte
		case *json.UnmarshalTypeError:
			off = e.Offset
		}
		return nil, off, err
	}
	if dec.More() {
		return nil, dec.InputOffset(), fmt.Errorf("trailing data after the JSON object")
	}
	return &c, -1, nil
}

// Validate checks the cluster against the schema of PACKAGE.md and returns
// every problem, each prefixed with its JSON path.
func (c *Cluster) Validate() error {
	var errs []string
	fail := func(path, format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	if len(c.Nodes) == 0 {
		fail("nodes", "at least one role is required")
	}
	roles := map[string]bool{}
	for i := range c.Nodes {
		r := &c.Nodes[i]
		p := fmt.Sprintf("nodes[%d]", i)
		switch {
		case r.Role == "" && len(c.Nodes) > 1:
			fail(p+".role", "is required when there is more than one role")
		case r.Role != "" && !roleRE.MatchString(r.Role):
			fail(p+".role", "%q must be letters, digits, '_' or '-'", truncate(r.Role, 40))
		case roles[r.Role]:
			fail(p+".role", "duplicate role %q", r.Role)
		}
		roles[r.Role] = true
		if r.Count < 0 {
			fail(p+".count", "must not be negative")
		}
		for name, v := range map[string]int{"cpu": r.CPU, "memory": r.Memory, "gpu": r.GPU, "server_id_upper_bound": r.ServerIDUpperBound} {
			if v < 0 {
				fail(p+"."+name, "must not be negative")
			}
		}
		if r.Container != nil {
			switch r.Container.Type {
			case "kvm", "docker", "lxc":
				if r.Container.Image == "" {
					fail(p+".container.image", "is required for type %q", r.Container.Type)
				}
			case "process":
			case "":
				fail(p+".container.type", "is required")
			default:
				fail(p+".container.type", "%q is not one of kvm, docker, lxc, process", truncate(r.Container.Type, 40))
			}
		}
		if r.Volume != nil && r.Volume.Size < 0 {
			fail(p+".volume.size", "must not be negative")
		}
		switch r.VerticalScalingPolicy {
		case "", "sequential", "parallel":
		default:
			fail(p+".vertical_scaling_policy", "%q is not sequential or parallel", truncate(r.VerticalScalingPolicy, 40))
		}
		checkHealth(p+".health_check", r.HealthCheck, fail)
		checkMonitor(p+".monitor", r.Monitor, fail)
		for name, s := range r.Services {
			sp := p + ".services." + name
			if !serviceRE.MatchString(name) || strings.TrimSpace(name) != name {
				fail(sp, "service name must be 1 to 128 characters without control characters, slashes or outer spaces")
				continue
			}
			if s.Order < 0 {
				fail(sp+".order", "must not be negative")
			}
			if s.NodesToExecuteOn < 0 {
				fail(sp+".nodes_to_execute_on", "must not be negative")
			}
			if s.Timeout < 0 {
				fail(sp+".timeout", "must not be negative")
			}
		}
	}
	for name, e := range c.Endpoints {
		if e.Port < 0 || e.Port > 65535 {
			fail("endpoints."+name+".port", "%d is not a port", e.Port)
		}
		if len(e.Protocol) > 64 {
			fail("endpoints."+name+".protocol", "longer than 64")
		}
	}
	checkHealth("health_check", c.HealthCheck, fail)
	checkMonitor("monitor", c.Monitor, fail)
	if len(errs) > 0 {
		sortStrings(errs)
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func checkHealth(p string, h *HealthCheck, fail func(string, string, ...any)) {
	if h == nil {
		return
	}
	if h.Enable && strings.TrimSpace(h.CheckCmd) == "" {
		fail(p+".check_cmd", "is required when enabled")
	}
	if h.IntervalSec < 0 || h.TimeoutSec < 0 || h.HealthyThreshold < 0 || h.UnhealthyThreshold < 0 {
		fail(p, "intervals and thresholds must not be negative")
	}
}

func checkMonitor(p string, m *Monitor, fail func(string, string, ...any)) {
	if m != nil && m.Enable && strings.TrimSpace(m.Cmd) == "" {
		fail(p+".cmd", "is required when enabled")
	}
}

// ServiceTimeout returns the service's timeout in seconds, applying the
// default.
func (s Service) ServiceTimeout() int {
	if s.Timeout == 0 {
		return DefaultServiceTimeout
	}
	return s.Timeout
}

// resolvePortRefs turns endpoint ports given as value paths ("env.port",
// "role.env.port") into numbers; a path that names no number is a problem.
func (c *Cluster) resolvePortRefs(values map[string]any) error {
	var errs []string
	for name, e := range c.Endpoints {
		if e.PortRef == "" {
			continue
		}
		path := e.PortRef
		if role, rest, ok := strings.Cut(path, ".env."); ok {
			path = "env." + role + "." + rest
		}
		v, ok := resolve(values, path)
		f, isNum := toFloat(v)
		if s, isStr := v.(string); ok && isStr {
			n, err := strconv.Atoi(s)
			f, isNum = float64(n), err == nil
		}
		if !ok || !isNum || f != float64(int(f)) {
			errs = append(errs, fmt.Sprintf("endpoints.%s.port: %q names no port value", name, truncate(e.PortRef, 60)))
			continue
		}
		e.Port = int(f)
		c.Endpoints[name] = e
	}
	if len(errs) > 0 {
		sortStrings(errs)
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
