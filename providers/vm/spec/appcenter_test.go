package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The testdata/appcenter package is written in the shapes real AppCenter
// packages use (config.json with "yes"/"no", lookaround patterns, keys such
// as "-p", "log.level" and "4lw.commands.whitelist", service and
// loadbalancer items, service_params required but without default;
// cluster.json.mustache with bare {{placeholders}}, sections, a custom
// service without cmd, an endpoint port naming an env value and a free-text
// protocol; locale/zh-cn.json and en.json).

func appcenterConf() map[string]any {
	return map[string]any{
		"cluster": map[string]any{"vxnet": "vx-local"},
		"env":     map[string]any{"passwd": "Secr3tPass"},
	}
}

func TestAppCenterPackage(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "appcenter"))
	if p.TemplateFile != FileMustache {
		t.Fatalf("template file = %s", p.TemplateFile)
	}
	// service_params are required but have no default: optional at create.
	values, err := p.Merge(appcenterConf())
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if refs := p.ExternalRefs(values); len(refs) != 0 {
		t.Fatalf("ExternalRefs of an empty link = %v", refs)
	}
	c, err := p.Render(values)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var got bytes.Buffer
	enc := json.NewEncoder(&got)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	golden(t, "appcenter.cluster.golden.json", got.Bytes())

	if len(c.Nodes) != 2 || c.Nodes[0].Role != "master" || c.Nodes[1].Role != "worker" {
		t.Fatalf("roles = %+v", c.Nodes)
	}
	master, worker := c.Nodes[0], c.Nodes[1]
	if string(master.Loadbalancer) != "[]" || c.Links["upstream"] != "" {
		t.Errorf("loadbalancer %s, links %v: want them recorded empty", master.Loadbalancer, c.Links)
	}
	if e := c.Endpoints["client"]; e.Port != 6379 || e.Protocol != "redis" {
		t.Errorf("endpoint = %+v, want port 6379 from env.-p and the free-text protocol", e)
	}
	for k, want := range map[string]any{"-p": "6379", "log.level": "info", "max-conns": 100.0, "4lw.commands.whitelist": "stat,ruok", "user": "kvuser", "data.dir": "/data/kv"} {
		if c.Env[k] != want {
			t.Errorf("env[%q] = %v (%T), want %v", k, c.Env[k], c.Env[k], want)
		}
	}
	if worker.Env["threads"] != 2.0 {
		t.Errorf("worker env (a section over env.worker) = %v", worker.Env)
	}
	if c.Monitor == nil || c.Monitor.Enable {
		t.Errorf("monitor = %+v, want the inverted section's disabled monitor", c.Monitor)
	}
	if s := master.Services["backup"]; s.Cmd != "" || s.NodesToExecuteOn != 1 {
		t.Errorf("backup without cmd = %+v", s)
	}
	if s := master.Services["compact"]; s.Type != "custom" || s.Cmd != "" {
		t.Errorf("custom service with an empty cmd = %+v", s)
	}
	var params bytes.Buffer
	if s := master.Services["dump"]; s.Type != "custom" || json.Compact(&params, s.ServiceParams) != nil || params.String() != `{"node.ip":"","token":""}` {
		t.Errorf("dump = %+v (params %s)", s, s.ServiceParams)
	}

	// The section renders the monitor when asked for.
	conf := appcenterConf()
	conf["env"].(map[string]any)["monitoring"] = true
	values, err = p.Merge(conf)
	if err != nil {
		t.Fatal(err)
	}
	c, err = p.Render(values)
	if err != nil {
		t.Fatalf("Render with monitoring: %v", err)
	}
	if c.Monitor == nil || !c.Monitor.Enable || !strings.Contains(string(c.Monitor.Items), "connections") {
		t.Errorf("monitor = %+v", c.Monitor)
	}
}

func TestAppCenterConfAllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "appcenter"))
	_, err := p.Merge(map[string]any{
		"cluster": map[string]any{"worker": map[string]any{"count": 9}},
		"env": map[string]any{
			"user":                   "rooted",   // (?!root) lookahead
			"passwd":                 "weakpass", // no upper case, no digit
			"-p":                     "0123",     // (?!0)
			"data.dir":               "/data/",   // (?<!/) lookbehind
			"4lw.commands.whitelist": "stat,kill",
		},
		"service_params": map[string]any{"node.ip": "not-an-ip"},
	})
	var ce *ConfError
	if !errors.As(err, &ce) {
		t.Fatalf("Merge = %v, want a *ConfError", err)
	}
	want := map[string]string{
		"cluster.vxnet":              "is required",
		"cluster.worker.count":       "above the maximum",
		"env.user":                   "does not match the pattern",
		"env.passwd":                 "does not match the pattern",
		"env.-p":                     "does not match the pattern",
		"env.data.dir":               "does not match the pattern",
		"env.4lw.commands.whitelist": `"kill" is not one of`,
		"service_params.node.ip":     "does not match the pattern",
	}
	for k, msg := range want {
		if !strings.Contains(ce.Fields[k], msg) {
			t.Errorf("Fields[%q] = %q, want %q", k, ce.Fields[k], msg)
		}
	}
	if len(ce.Fields) != len(want) {
		t.Errorf("fields = %v, want exactly %d", ce.Fields, len(want))
	}
}

func TestAppCenterExternalRefs(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "appcenter"))
	conf := appcenterConf()
	conf["cluster"].(map[string]any)["upstream_service"] = "cl-123"
	conf["cluster"].(map[string]any)["master"] = map[string]any{"loadbalancer": []any{map[string]any{"listener": "lbl-1", "port": 6379}}}
	values, err := p.Merge(conf)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	refs := p.ExternalRefs(values)
	if !strings.Contains(refs["cluster.upstream_service"], "type service") || !strings.Contains(refs["cluster.master.loadbalancer"], "type loadbalancer") || len(refs) != 2 {
		t.Fatalf("ExternalRefs = %v", refs)
	}
	// Recorded and passed on as given.
	c, err := p.Render(values)
	if err != nil {
		t.Fatal(err)
	}
	if c.Links["upstream"] != "cl-123" || !strings.Contains(string(c.Nodes[0].Loadbalancer), `"lbl-1"`) {
		t.Fatalf("links %v, loadbalancer %s", c.Links, c.Nodes[0].Loadbalancer)
	}
	// A required link the runtime cannot give is named too.
	req := mustLoad(t, with(readPackage(t, "minimal"), map[string]string{FileConfig: `[{"key": "cluster", "type": "array", "properties": [
		{"key": "name", "type": "string", "default": "m"},
		{"key": "zk_service", "type": "service", "default": "", "required": "yes"},
		{"key": "node", "type": "array", "properties": [{"key": "count", "type": "integer", "default": 1}]}]},
		{"key": "env", "type": "array", "properties": [{"key": "greeting", "type": "string", "default": "hi"}]}]`}))
	values, err = req.Merge(nil)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if refs := req.ExternalRefs(values); !strings.Contains(refs["cluster.zk_service"], "required") {
		t.Fatalf("ExternalRefs of a required empty link = %v", refs)
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "appcenter"))
	tests := []struct{ lang, text, want string }{
		{"zh-CN", "Log level", "日志级别"},
		{"zh_cn", "Master", "主节点"},
		{"zh", "Worker", "工作节点"},                                    // the base language finds the regional file
		{"zh-cn", "portDescription", "The port clients connect to"}, // missing in zh-cn: English
		{"en", "portLabel", "Port"},                                 // a key used as a label, English in en.json
		{"EN", "maxConnsLabel", "Max connections"},
		{"fr", "Name", "Name"}, // no French, no English entry: the text
		{"", "dump", "dump"},
		{"zh-cn", "", ""},
	}
	for _, tt := range tests {
		if got := p.Translate(tt.lang, tt.text); got != tt.want {
			t.Errorf("Translate(%q, %q) = %q, want %q", tt.lang, tt.text, got, tt.want)
		}
	}
	if got := p.Languages(); len(got) != 2 || got[0] != "en" || got[1] != "zh-cn" {
		t.Errorf("Languages = %v", got)
	}
	var nilPkg *Package
	if nilPkg.Translate("zh-cn", "x") != "x" {
		t.Error("a nil package does not translate")
	}
}

// TestLoadEveryProblemAtOnce: a package wrong in many places is refused
// with every problem, each named by file and key path.
func TestLoadEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	files := with(readPackage(t, "appcenter"), map[string]string{
		FileConfig: `{"type": "array", "properties": [
			{"key": "cluster", "type": "array", "properties": [
				{"key": "name", "type": "string", "default": "x"},
				{"key": "bad key", "type": "string"},
				{"key": "kind", "type": "colour"},
				{"key": "n", "type": "integer", "min": 5, "max": 1, "step": "x", "default": 3},
				{"key": "ok", "type": "string", "pattern": "(?<open", "required": "maybe"}
			]},
			{"key": "env", "type": "array", "properties": [
				{"key": "port", "type": "integer", "default": 70000, "max": 65535}
			]}
		]}`,
		FileMustache:        `{"name": {{cluster.name}}, "n": {{cluster.n}}, "ok": {{cluster.ok}}, "nodes": [{{cluster.nodez}}]}`,
		"locale/zh-cn.json": `{"Name": 1}`,
		"locale/en.json":    `[`,
	})
	_, err := Load(files)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load = %v, want a *ValidationError", err)
	}
	want := map[string][]string{
		FileConfig: {
			`cluster.bad key: key "bad key" must be`,
			`cluster.kind: unknown type "colour"`,
			"cluster.n: step: want a number",
			"cluster.n: min 5 is above max 1",
			"cluster.ok: required:",
			`cluster.ok: pattern: "(?<open" is not a valid regular expression`,
			"env.port: default: 70000 is above the maximum 65535",
		},
		FileMustache:        {`unknown key "cluster.nodez"`},
		"locale/zh-cn.json": {`"Name": want a string`},
		"locale/en.json":    {"not a JSON object of texts"},
	}
	for file, msgs := range want {
		for _, msg := range msgs {
			if !strings.Contains(ve.Files[file], msg) {
				t.Errorf("Files[%q] = %q, want it to contain %q", file, ve.Files[file], msg)
			}
		}
	}
	// Items with problems are still known to the template: only the real
	// typo is named.
	if strings.Contains(ve.Files[FileMustache], "cluster.n\"") || strings.Contains(ve.Files[FileMustache], "cluster.ok") {
		t.Errorf("the template is blamed for items config.json reports: %q", ve.Files[FileMustache])
	}
	// A template that does not parse is named along with config.json.
	files[FileMustache] = []byte(`{"nodes": [{{#x}}{{/y}}]}`)
	_, err = Load(files)
	if !errors.As(err, &ve) || !strings.Contains(ve.Files[FileMustache], "interleaved closing tag") || ve.Files[FileConfig] == "" {
		t.Errorf("Load = %v", err)
	}
}

// TestPatternTimeout: a pattern that backtracks without end is cut off by
// the match timeout and reported, not left running.
func TestPatternTimeout(t *testing.T) {
	t.Parallel()
	tree, err := ParseConfig([]byte(`[{"key": "env", "type": "array", "properties": [{"key": "x", "type": "string", "pattern": "^(a+)+$"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	p := &Package{Config: tree}
	start := time.Now()
	_, err = p.Merge(map[string]any{"env": map[string]any{"x": strings.Repeat("a", 40) + "!"}})
	if err == nil || !strings.Contains(err.Error(), "took longer than") {
		t.Fatalf("Merge = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the match ran %v", d)
	}
	// Many slow patterns do not add up: the matches of one Merge share a budget.
	var items []string
	conf := map[string]any{}
	for i := range 40 {
		k := fmt.Sprintf("x%d", i)
		items = append(items, `{"key": "`+k+`", "type": "string", "pattern": "^(a+)+$"}`)
		conf[k] = strings.Repeat("a", 40) + "!"
	}
	tree, err = ParseConfig([]byte(`[{"key": "env", "type": "array", "properties": [` + strings.Join(items, ",") + `]}]`))
	if err != nil {
		t.Fatal(err)
	}
	p = &Package{Config: tree}
	start = time.Now()
	_, err = p.Merge(map[string]any{"env": conf})
	var ce *ConfError
	if !errors.As(err, &ce) || len(ce.Fields) != 40 || !strings.Contains(ce.Fields["env.x39"], "not checked") {
		t.Fatalf("Merge = %v, want all 40 refused, the last ones unchecked", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("40 slow patterns took %v together", d)
	}
	// JavaScript semantics: \d, lookbehind, named groups.
	for pattern, ok := range map[string]map[string]bool{
		`^(?<year>\d{4})-\d{2}$`: {"2024-01": true, "24-01": false},
		`(?<=v)\d+`:              {"v12": true, "12": false},
		`^[^\x20\x22\x27]*$`:     {"abc": true, `a"b`: false},
	} {
		re, err := compilePattern(pattern)
		if err != nil {
			t.Fatalf("compile %q: %v", pattern, err)
		}
		for s, want := range ok {
			if got, err := re.MatchString(s); err != nil || got != want {
				t.Errorf("%q on %q = %v, %v; want %v", pattern, s, got, err, want)
			}
		}
	}
}

func TestAppCenterKeys(t *testing.T) {
	t.Parallel()
	for key, ok := range map[string]bool{
		"-p": true, "log.level": true, "4lw.commands.whitelist": true, "hash-max-ziplist-entries": true,
		"a b": false, "a/b": false, "{x}": false, ".": false, "..": false, "": false, "tab\tkey": false,
	} {
		_, err := ParseConfig([]byte(`[{"key": "env", "type": "array", "properties": [{"key": ` + strconvQuote(key) + `, "type": "string"}]}]`))
		if (err == nil) != ok {
			t.Errorf("key %q: err = %v, want ok=%v", key, err, ok)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRenderConcurrently: one loaded package renders from many goroutines
// (the control plane shares it); run with -race.
func TestRenderConcurrently(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "appcenter"))
	values, err := p.Merge(appcenterConf())
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.RenderText(values)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				got, err := p.RenderText(values)
				if err == nil && !bytes.Equal(got, want) {
					err = errors.New("renders differ")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppCenterClusterShapes: forms seen in real AppCenter packages that
// the cluster schema accepts: several data disks, a custom service named
// with spaces, an endpoint port range, QingCloud resource items.
func TestAppCenterClusterShapes(t *testing.T) {
	t.Parallel()
	files := with(readPackage(t, "minimal"), map[string]string{
		FileConfig: `{"type": "array", "properties": [
			{"key": "cluster", "type": "array", "properties": [
				{"key": "name", "type": "string", "default": "m"},
				{"key": "node", "type": "array", "properties": [{"key": "count", "type": "integer", "default": 1}]}]},
			{"key": "env", "type": "array", "properties": [
				{"key": "access_key_id", "type": "accesskey", "changeable": false, "required": "no"},
				{"key": "dashboard_eip", "type": "eip", "default": "", "pattern": "^(eip-)(\\w{8})$|^$", "required": "no"}]}]}`,
		FileTemplate: `{"name": {{cluster.name}}, "nodes": [{"count": {{cluster.node.count}},
			"volume": {"size": 30, "mount_point": ["/data", "/data2", "/data3"]},
			"services": {"redeploy WAR for QingStor": {"type": "custom", "cmd": "true"}}}],
			"env": {"eip": {{env.dashboard_eip}}},
			"endpoints": {"nodeport": {"port": "30000-32767", "protocol": "tcp"}}}`,
	})
	p := mustLoad(t, files)
	values, err := p.Merge(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Render(values)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if v := c.Nodes[0].Volume; v.MountPoint != "/data" || len(v.MountPoints) != 3 {
		t.Errorf("volume = %+v", v)
	}
	if _, ok := c.Nodes[0].Services["redeploy WAR for QingStor"]; !ok {
		t.Errorf("services = %v", c.Nodes[0].Services)
	}
	if e := c.Endpoints["nodeport"]; e.Port != 30000 || e.PortRange != "30000-32767" {
		t.Errorf("endpoint = %+v", e)
	}
	conf := map[string]any{"env": map[string]any{"dashboard_eip": "eip-abcd1234", "access_key_id": "AKEY"}}
	if values, err = p.Merge(conf); err != nil {
		t.Fatal(err)
	}
	if refs := p.ExternalRefs(values); !strings.Contains(refs["env.dashboard_eip"], "type eip") || !strings.Contains(refs["env.access_key_id"], "type accesskey") {
		t.Errorf("ExternalRefs = %v", refs)
	}
	if _, err := p.Merge(map[string]any{"env": map[string]any{"dashboard_eip": "eip-1"}}); err == nil {
		t.Error("a bad eip ID passed its pattern")
	}
}

func TestAppCenterServiceRun(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "appcenter"))
	run := func(params map[string]any, name string) (map[string]json.RawMessage, error) {
		conf := appcenterConf()
		conf["service_params"] = params
		values, err := p.Merge(conf)
		if err != nil {
			return nil, err
		}
		return p.ServiceRun(values, name)
	}
	// dump uses service_params.node.ip (required): without it, the run is refused naming it.
	_, err := run(nil, "dump")
	var ce *ConfError
	if !errors.As(err, &ce) || !strings.Contains(ce.Fields["service_params.node.ip"], "required by service dump") || len(ce.Fields) != 1 {
		t.Fatalf("dump without node.ip = %v", err)
	}
	// A bad value is refused by Merge with the conf rules.
	if _, err := run(map[string]any{"node.ip": "nope"}, "dump"); !errors.As(err, &ce) || !strings.Contains(ce.Fields["service_params.node.ip"], "pattern") {
		t.Fatalf("dump with a bad ip = %v", err)
	}
	got, err := run(map[string]any{"node.ip": "10.0.0.7"}, "dump")
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	var params bytes.Buffer
	if len(got) != 1 || json.Compact(&params, got["master"]) != nil || params.String() != `{"node.ip":"10.0.0.7","token":""}` {
		t.Fatalf("dump params = %v (%s)", got, params.String())
	}
	// label (worker) does not use node.ip: it runs without it, its label defaulting to "".
	got, err = run(map[string]any{"worker": map[string]any{"label": "nightly"}}, "label")
	if err != nil {
		t.Fatalf("label: %v", err)
	}
	params.Reset()
	if json.Compact(&params, got["worker"]) != nil || params.String() != `{"label":"nightly"}` {
		t.Fatalf("label params = %s", got["worker"])
	}
}
