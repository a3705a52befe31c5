package confd

import (
	"errors"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/edge/metadata"
)

var funcView = metadata.View{
	"/host/ip":                   "127.1.0.3",
	"/host/role":                 "replica",
	"/env/port":                  "6379",
	"/env/maxmemory":             "256mb",
	"/env/nodes":                 `["a","b"]`,
	"/env/conf":                  `{"k":"v","n":2}`,
	"/hosts/master/i-m1/ip":      "127.1.0.2",
	"/hosts/replica/i-r1/ip":     "127.1.0.3",
	"/hosts/replica/i-r2/ip":     "127.1.0.4",
	"/hosts/replica/i-r2/pubkey": "k",
}

func render(t *testing.T, text string) (string, error) {
	t.Helper()
	out, err := execute(resource("/x", text), funcView, limits{maxOutput: 1 << 20, maxSteps: 100_000}, host{})
	return string(out), err
}

func TestFuncs(t *testing.T) {
	tests := []struct{ name, tmpl, want string }{
		{"getv", `{{getv "/host/ip"}}`, "127.1.0.3"},
		{"getv relative key", `{{getv "host/ip"}}`, "127.1.0.3"},
		{"getv default", `{{getv "/env/nope" "dflt"}}`, "dflt"},
		{"get", `{{with get "/env/port"}}{{.Key}}={{.Value}}{{end}}`, "/env/port=6379"},
		{"gets", `{{range gets "/env/*"}}{{base .Key}} {{end}}`, "conf maxmemory nodes port "},
		{"gets deep glob", `{{range gets "/hosts/*/*/ip"}}{{.Value}},{{end}}`, "127.1.0.2,127.1.0.3,127.1.0.4,"},
		{"getvs", `{{join (getvs "/hosts/replica/*/ip") ","}}`, "127.1.0.3,127.1.0.4"},
		{"ls", `{{ls "/hosts/replica/i-r2"}}`, "[ip pubkey]"},
		{"lsdir", `{{lsdir "/hosts"}}`, "[master replica]"},
		{"exists", `{{exists "/host/ip"}} {{exists "/hosts/master"}} {{exists "/nope"}}`, "true true false"},
		{"json", `{{$c := json (getv "/env/conf")}}{{$c.k}} {{$c.n}}`, "v 2"},
		{"jsonArray", `{{range jsonArray (getv "/env/nodes")}}{{.}};{{end}}`, "a;b;"},
		{"split join", `{{join (split "a:b:c" ":") "-"}}`, "a-b-c"},
		{"base dir", `{{base "/a/b/c"}} {{dir "/a/b/c"}}`, "c /a/b"},
		{"case", `{{toUpper "ab"}}{{toLower "CD"}}`, "ABcd"},
		{"replace", `{{replace "a.b.c" "." "_" -1}}`, "a_b_c"},
		{"contains trimSuffix", `{{contains "redis" "dis"}} {{trimSuffix "256mb" "mb"}}`, "true 256"},
		{"atoi arithmetic", `{{$p := atoi (getv "/env/port")}}{{add $p 1}} {{sub $p 1}} {{mul 2 3}} {{div 7 2}} {{mod 7 2}}`, "6380 6378 6 3 1"},
		{"seq", `{{range seq 1 3}}{{.}}{{end}}`, "123"},
		{"map", `{{$m := map "a" 1 "b" "x"}}{{$m.a}}{{$m.b}}`, "1x"},
		{"reverse", `{{reverse (lsdir "/hosts")}}`, "[replica master]"},
		{"sortByLength", `{{sortByLength (split "ccc,a,bb" ",")}}`, "[a bb ccc]"},
		{"parseBool", `{{if parseBool "true"}}yes{{end}}`, "yes"},
		{"base64", `{{base64Encode "hi"}} {{base64Decode "aGk="}}`, "aGk= hi"},
		{"filter", `{{filter "^i-r" (lsdir "/hosts/replica")}}`, "[i-r1 i-r2]"},
		{"toJson", `{{toJson (lsdir "/hosts")}}`, `["master","replica"]`},
		{"toYaml keeps confd's newline", `{{toYaml (map "a" 1)}}`, "a: 1\n"},
		{"min max", `{{min 3 (getv "/env/port")}} {{max "7" 2}}`, "3 7"},
		{"printf", `{{printf "%s:%s" (getv "/host/ip") (getv "/env/port")}}`, "127.1.0.3:6379"},
		{"range over map is sorted", `{{range $k, $v := map "b" 2 "a" 1}}{{$k}}{{$v}}{{end}}`, "a1b2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := render(t, tc.tmpl)
			if err != nil {
				t.Fatalf("%s: %v", tc.tmpl, err)
			}
			if got != tc.want {
				t.Errorf("%s = %q, want %q", tc.tmpl, got, tc.want)
			}
		})
	}
}

func TestHostileTemplates(t *testing.T) {
	tests := []struct {
		name, tmpl string
		want       error // nil: any error
	}{
		{"range over a huge int", `{{range 1000000000}}{{end}}`, ErrBudget},
		{"nested ranges", `{{range seq 1 1000}}{{range seq 1 1000}}{{end}}{{end}}`, ErrBudget},
		{"exponential recursion", `{{define "a"}}{{template "a"}}{{template "a"}}{{end}}{{template "a"}}`, nil},
		{"doubling printf", `{{$x := "aaaaaaaaaaaaaaaa"}}{{range seq 1 64}}{{$x = printf "%s%s" $x $x}}{{end}}`, ErrTooLarge},
		{"doubling js", `{{$x := "\\"}}{{range seq 1 64}}{{$x = js $x}}{{end}}`, ErrTooLarge},
		{"huge replace", `{{$x := printf "%1000000d" 1}}{{replace $x "" $x -1}}`, ErrTooLarge},
		{"huge output", `{{range seq 1 2000}}{{printf "%1000d" 1}}{{end}}`, ErrTooLarge},
		{"huge seq", `{{seq 1 1000000000}}`, nil},
		{"div by zero", `{{div 1 0}}`, nil},
		{"unknown function", `{{nope}}`, nil},
		{"bad json", `{{json "{"}}`, nil},
		{"bad glob", `{{gets "/env/["}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, tc.tmpl)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), "test.tmpl") {
				t.Errorf("error %q does not name the template", err)
			}
		})
	}
}
