package cli

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// completion is the answer to one `pitrix __complete ARGS...` request: the candidates (value
// before any tab-separated description) and the directive.
type completion struct {
	values    []string
	directive string
}

// complete runs the __complete request a shell sends and parses its answer.
func (r *runner) complete(args ...string) completion {
	r.t.Helper()
	res := r.run(append([]string{"__complete"}, args...)...)
	if res.code != 0 {
		r.t.Fatalf("pitrix __complete %q: exit %d\n%s", args, res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		r.t.Fatalf("pitrix __complete %q: no directive line:\n%s", args, res.stdout)
	}
	var c completion
	c.directive = last
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		c.values = append(c.values, v)
	}
	return c
}

func TestCompletionScripts(t *testing.T) {
	r := newRunner(t)
	tests := []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"__start_pitrix", "complete -o default -F __start_pitrix pitrix", "__complete"}},
		{"zsh", []string{"#compdef pitrix", "compdef _pitrix pitrix", "__complete"}},
		{"fish", []string{"complete -c pitrix", "__complete"}},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			out := r.ok("completion", tt.shell)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s script lacks %q", tt.shell, w)
				}
			}
		})
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "extra"}} {
		if res := r.run(args...); res.code != 2 || !strings.HasPrefix(res.stderr, "error: pitrix completion") || res.stdout != "" {
			t.Errorf("pitrix %q: exit %d, stdout %q, stderr:\n%s", args, res.code, res.stdout, res.stderr)
		}
	}
	if n := r.api.count(); n != 0 {
		t.Errorf("generating scripts called the server %d times", n)
	}
}

// Directives of cobra's __complete answers.
const (
	dirFiles   = ":0" // the shell completes file names
	dirNoFiles = ":4" // ShellCompDirectiveNoFileComp
	dirQuiet   = ":5" // ShellCompDirectiveError | ShellCompDirectiveNoFileComp
)

func TestCompleteWordsAndIDs(t *testing.T) {
	r := newRunner(t)
	rt := r.jsonOf("runtime", "create", "--name", "dev", "--provider", "local")["id"].(string)
	cred := r.jsonOf("credential", "create", "--name", "k", "--provider", "kubernetes", "--content", "x")["id"].(string)
	ctg := r.jsonOf("category", "create", "--name", "db")["id"].(string)
	clusterID, _ := createOut(t, r, "zk")

	tests := []struct {
		name      string
		args      []string
		want      []string // each among the candidates
		not       []string // none among them
		directive string
	}{
		{"nouns", []string{""}, []string{"repo", "cluster", "credential", "completion", "help"}, []string{"__complete"}, dirNoFiles},
		{"noun prefix", []string{"cl"}, []string{"cluster"}, []string{"repo"}, dirNoFiles},
		{"verbs", []string{"cluster", ""}, []string{"create", "delete", "scale-in", "upgrade"}, nil, dirNoFiles},
		{"verb flags", []string{"cluster", "create", "--"}, []string{"--runtime", "--version", "--wait", "--server", "--output"}, nil, dirNoFiles},
		{"cluster ids", []string{"cluster", "delete", ""}, []string{clusterID}, nil, dirNoFiles},
		{"runtime ids", []string{"runtime", "get", ""}, []string{rt}, nil, dirNoFiles},
		{"id prefix", []string{"runtime", "get", "nope"}, nil, []string{rt}, dirNoFiles},
		{"no second id", []string{"runtime", "get", rt, ""}, nil, []string{rt}, dirNoFiles},
		{"--runtime", []string{"cluster", "create", "--name", "x", "--runtime", ""}, []string{rt}, nil, dirNoFiles},
		{"--runtime=", []string{"cluster", "list", "--runtime="}, []string{rt}, nil, dirNoFiles},
		{"--credential of a runtime", []string{"runtime", "create", "--credential", ""}, []string{cred}, nil, dirNoFiles},
		{"--category", []string{"app", "list", "--category", ""}, []string{ctg}, nil, dirNoFiles},
		{"--provider", []string{"runtime", "create", "--provider", ""}, []string{"local", "kubernetes"}, nil, dirNoFiles},
		{"-o", []string{"category", "list", "-o", ""}, []string{"table", "json"}, nil, dirNoFiles},
		{"--type", []string{"app", "upload", "--type", ""}, []string{"vm", "helm"}, nil, dirNoFiles},
		{"FILE argument", []string{"app", "upload", ""}, nil, nil, dirFiles},
		{"--conf FILE", []string{"cluster", "create", "--conf", ""}, nil, nil, dirFiles},
		{"--name takes no file", []string{"cluster", "create", "--name", ""}, nil, nil, dirNoFiles},
		{"help topics", []string{"help", "clu"}, []string{"cluster"}, nil, dirNoFiles},
		{"help verbs", []string{"help", "cluster", "sc"}, []string{"scale-in", "scale-out"}, nil, dirNoFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.complete(tt.args...)
			for _, w := range tt.want {
				if !slices.Contains(got.values, w) {
					t.Errorf("candidates %q lack %q", got.values, w)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got.values, n) {
					t.Errorf("candidates %q hold %q", got.values, n)
				}
			}
			if got.directive != tt.directive {
				t.Errorf("directive %s, want %s", got.directive, tt.directive)
			}
		})
	}
}

func TestCompleteVersionsOfTheApp(t *testing.T) {
	r := newRunner(t)
	r.stdin = "\x1f\x8b" + strings.Repeat("zk", 50)
	up := r.jsonOf("app", "upload", "-", "--type", "vm")
	appID := up["app"].(map[string]any)["id"].(string)
	first := up["version"].(map[string]any)["id"].(string)
	second := r.jsonOf("app", "upload", "-", "--app", appID)["version"].(map[string]any)["id"].(string)

	got := r.complete("cluster", "create", "--app", appID, "--version", "")
	if !slices.Contains(got.values, first) || !slices.Contains(got.values, second) {
		t.Errorf("--version with --app %s: %q, want both %s and %s", appID, got.values, first, second)
	}
	if req := r.api.last(); req.Path != "/v1/apps/"+appID+"/versions" {
		t.Errorf("versions listed with %s", req.Path)
	}
	got = r.complete("version", "get", "")
	if len(got.values) != 1 || got.values[0] == "" {
		t.Errorf("version get: %q, want the app's latest version", got.values)
	}
}

func TestCompleteQuietWhenServerIsDown(t *testing.T) {
	srv := httptest.NewServer(nil)
	addr := srv.URL
	srv.Close()
	r := &runner{t: t, env: map[string]string{"PITRIX_SERVER": addr, "PITRIX_TOKEN": "x"}}
	for _, args := range [][]string{{"cluster", "delete", ""}, {"cluster", "create", "--runtime", ""}} {
		res := r.run(append([]string{"__complete"}, args...)...)
		if res.code != 0 || res.stdout != dirQuiet+"\n" {
			t.Errorf("__complete %q with the server down: exit %d, stdout %q, want only %s", args, res.code, res.stdout, dirQuiet)
		}
		if strings.Contains(res.stderr, "refused") {
			t.Errorf("__complete %q printed the error: %s", args, res.stderr)
		}
	}
	// Flag values given on the line are used: --server points at a server that is up.
	up := newRunner(t)
	rt := up.jsonOf("runtime", "create", "--name", "dev", "--provider", "local")["id"].(string)
	got := r.complete("--server", up.api.srv.URL, "--token", up.api.token, "runtime", "delete", "")
	if !slices.Contains(got.values, rt) {
		t.Errorf("with --server on the line: %q, want %s", got.values, rt)
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	r := newRunner(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"clustr", "list"}, "unknown command \"clustr\"\n\nDid you mean this?\n\tcluster\n"},
		{[]string{"cluster", "delet", "cl-1"}, "pitrix cluster: unknown verb \"delet\"\n\nDid you mean this?\n\tdelete\n"},
		{[]string{"help", "categry"}, "help: unknown command \"categry\"\n\nDid you mean this?\n\tcategory\n"},
	}
	for _, tt := range tests {
		res := r.run(tt.args...)
		if res.code != 2 || !strings.HasPrefix(res.stderr, "error: "+tt.want) {
			t.Errorf("pitrix %q: exit %d, stderr:\n%s\nwant it to start with %q", tt.args, res.code, res.stderr, "error: "+tt.want)
		}
	}
}

func TestCompleteFlagDescriptions(t *testing.T) {
	r := newRunner(t)
	res := r.run("__complete", "cluster", "create", "--")
	if res.code != 0 || !strings.Contains(res.stdout, "--runtime\truntime ID to deploy on\n") || !strings.Contains(res.stdout, "--server\tAPI server URL") {
		t.Errorf("flag descriptions (value names without back quotes):\n%s", res.stdout)
	}
	// Help still shows the value names.
	if out := r.ok("cluster", "create", "--help"); !strings.Contains(out, "--runtime ID ") {
		t.Errorf("help after a completion request:\n%s", out)
	}
}
