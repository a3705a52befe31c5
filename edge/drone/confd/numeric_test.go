package confd

import (
	"context"
	"errors"
	"net"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/metadata"
)

// The expected values below are those of AppCenter's confd (yunify/confd v0.13.x,
// resource/template/template_funcs_ext_test.go), which the Drone must match.

func TestArithmeticAppCenter(t *testing.T) {
	tests := []struct {
		a, b any
		op   byte
		want any // nil: an error
	}{
		{3, 2, '+', int64(5)}, {3, 2, '-', int64(1)}, {3, 2, '*', int64(6)}, {3, 2, '/', int64(1)},
		{3.0, 2, '+', 5.0}, {3.0, 2, '/', 1.5}, {3, 2.0, '-', 1.0}, {3, 2.0, '/', 1.5},
		{uint(3), uint(2), '+', int64(5)}, {uint(3), -2, '*', int64(-6)}, {-3, uint(2), '/', int64(-1)},
		{uint(3), 2.0, '/', 1.5}, {3.0, uint(2), '*', 6.0},
		{"3", "2", '+', int64(5)}, {"3", "2", '-', int64(1)}, {"3", "2", '*', int64(6)}, {"3", "2", '/', int64(1)},
		{"3.0", "2", '+', 5.0}, {"3.0", "2", '/', 1.5}, {"3", "2.0", '/', 1.5}, {"3.0", "2.0", '*', 6.0},
		{"foo", "bar", '+', nil}, {3, "foo", '+', nil}, {"foo", 3, '+', nil}, {3.0, "foo", '+', nil},
		{3, 0, '/', nil}, {3.0, 0, '/', nil}, {3, 0.0, '/', nil}, {uint(3), uint(0), '/', nil}, {"3", "0", '/', nil},
		{struct{}{}, 1, '+', nil},
	}
	for _, tc := range tests {
		got, err := arith("op", tc.op, tc.a, tc.b)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%v %c %v = %v, want an error", tc.a, tc.op, tc.b, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v %c %v = %#v, %v; want %#v", tc.a, tc.op, tc.b, got, err, tc.want)
		}
	}
}

func TestModMinMaxAppCenter(t *testing.T) {
	for _, tc := range []struct {
		a, b any
		want any // nil: an error
	}{
		{3, 2, int64(1)}, {"3", 2, int64(1)}, {3, "2", int64(1)}, {3, 1, int64(0)}, {0, 3, int64(0)},
		{int8(3), int8(2), int64(1)}, {int64(3), int64(2), int64(1)},
		{3, 0, nil}, {3.1, 2, nil}, {3, 2.1, nil}, {"3.0", 2, nil}, {"x", 2, nil},
	} {
		got, err := mod(tc.a, tc.b)
		if tc.want == nil {
			if err == nil {
				t.Errorf("mod %v %v = %v, want an error", tc.a, tc.b, got)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("mod %v %v = %v, %v; want %v", tc.a, tc.b, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b     any
		max, min float64
		bad      bool
	}{
		{3, 2, 3, 2, false}, {"3", 2, 3, 2, false}, {3, "2", 3, 2, false}, {3.1, 3, 3.1, 3, false},
		{int16(3), int16(2), 3, 2, false}, {3.0001, 3.00011, 3.00011, 3.0001, false}, {3, "a", 0, 0, true},
	} {
		mx, err1 := extreme("max", tc.a, tc.b)
		mn, err2 := extreme("min", tc.a, tc.b)
		if tc.bad {
			if err1 == nil || err2 == nil {
				t.Errorf("max/min %v %v: want errors", tc.a, tc.b)
			}
			continue
		}
		if err1 != nil || err2 != nil || mx != tc.max || mn != tc.min {
			t.Errorf("max/min %v %v = %v, %v (%v, %v); want %v, %v", tc.a, tc.b, mx, mn, err1, err2, tc.max, tc.min)
		}
	}
}

func TestCompareAppCenter(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		a, b any
		want int
	}{
		{5, 8, -1}, {8, 5, 1}, {5, 5, 0}, {int(5), int64(5), 0}, {int32(5), int(5), 0}, {int16(4), int(5), -1},
		{uint(15), uint64(15), 0}, {-2, 1, -1}, {2, -5, 1}, {0.0, 1.23, -1}, {1.1, 1.1, 0},
		{float32(1.0), float64(1.0), 0}, {1.23, 0.0, 1}, {"5", "5", 0}, {"5", 5, 0}, {5, "5", 0},
		{5.1, "5.1", 0}, {5.0, "5", 0}, {5, "5.0", 0}, {"8", 5, 1}, {5, "8", -1}, {"8", "5", 1},
		{"8", "5.1", 1}, {"8", 5.1, 1}, {8, "5.1", 1}, {"5", "0001", 1}, {"a", "a", 0}, {"a", "b", -1},
		{"b", "a", 1}, {[]int{100, 99}, []int{1, 2, 3, 4}, -1},
		{day("2015-11-20"), day("2015-11-20"), 0}, {day("2015-11-19"), day("2015-11-20"), -1},
		{day("2015-11-20"), day("2015-11-19"), 1},
	} {
		if got := compare(tc.a, tc.b); got != tc.want {
			t.Errorf("compare %v %v = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if tc.want == 0 {
			if ok, _ := eq(tc.a, tc.b); !ok && reflect.TypeOf(tc.a).Kind() != reflect.Slice {
				t.Errorf("eq %v %v = false", tc.a, tc.b)
			}
		}
	}
	if ok, _ := eq("5", "6", 5); !ok {
		t.Error(`eq "5" "6" 5: false, want true (any of the rest)`)
	}
	if ne("a", "a") || !ne("1", 2) {
		t.Error("ne: wrong")
	}
	if _, err := eq(1); err == nil {
		t.Error("eq with one argument: no error")
	}
}

// TestNumericStringsInTemplates renders AppCenter-style templates whose arithmetic and
// comparisons take metadata values (strings) directly.
func TestNumericStringsInTemplates(t *testing.T) {
	tests := []struct{ name, tmpl, want string }{
		{"add string", `{{add (getv "/env/port") 1}}`, "6380"},
		{"sub string", `{{sub (getv "/env/port") "79"}}`, "6300"},
		{"div string float", `{{div "3.00" 2}}`, "1.5"},
		{"div string int", `{{div "3" 2}}`, "1"},
		{"mul", `{{mul (getv "/env/port") 2}}`, "12758"},
		{"mod", `{{mod (getv "/env/port") 10}}`, "9"},
		{"gt string number", `{{if gt (getv "/env/port") 1024}}high{{end}}`, "high"},
		{"lt strings numeric", `{{if lt "9" "10"}}numeric{{else}}text{{end}}`, "numeric"},
		{"le ge", `{{le "2" 2}} {{ge 1 "2"}}`, "true false"},
		{"eq number spelling", `{{eq (getv "/env/port") 6379}} {{eq "5.0" 5}} {{ne "a" "b"}}`, "true true true"},
		{"eq with len", `{{eq (len (lsdir "/hosts/replica")) 2}}`, "true"},
		{"max of len", `{{max (len (lsdir "/hosts")) 3}}`, "3"},
		{"filter kv", `{{range gets "/hosts/replica/*/ip" | filter "4$"}}{{.Key}}{{end}}`, "/hosts/replica/i-r2/ip"},
		{"sort", `{{sort (split "c,a,b" ",")}}`, "[a b c]"},
		{"toJson map", `{{toJson (map "a" "1")}}`, `{"a":"1"}`},
		{"base64Encode", `{{base64Encode "user:123Abc"}}`, "dXNlcjoxMjNBYmM="},
		{"seq numeric", `{{range seq 1 (atoi (getv "/env/three" "3"))}}{{.}}{{end}}`, "123"},
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
	for _, bad := range []string{`{{add "x" 1}}`, `{{div 1 "0"}}`, `{{mod "1.5" 1}}`, `{{filter "a(" (lsdir "/hosts")}}`, `{{filter "a" "abc"}}`} {
		if _, err := render(t, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestHostFuncs(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(root+"/etc/app", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+"/etc/app/app.conf", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := openFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	h := host{env: envMap([]string{"PITRIX_ROLE=replica", "EMPTY="}), fs: fs}
	lim := limits{maxOutput: 1 << 20, maxSteps: 100_000}
	for _, tc := range []struct{ tmpl, want string }{
		{`{{getenv "PITRIX_ROLE"}}`, "replica"},
		{`{{getenv "EMPTY" "dflt"}}|{{getenv "UNSET"}}|{{getenv "UNSET" "d"}}`, "dflt||d"},
		{`{{fileExists "/etc/app/app.conf"}} {{fileExists "/etc/nope"}} {{fileExists "../../etc/app"}}`, "true false true"},
		{`{{lookupIP "localhost"}}`, "[127.0.0.1]"},
		{`{{if gt ((datetime).Year) 2000}}now{{end}}`, "now"},
	} {
		out, err := execute(resource("/x", tc.tmpl), metadata.View{}, lim, h)
		if err != nil {
			t.Fatalf("%s: %v", tc.tmpl, err)
		}
		if string(out) != tc.want {
			t.Errorf("%s = %q, want %q", tc.tmpl, out, tc.want)
		}
	}
	// lookupIP keeps IPv4 only, sorted and once each, and treats a failure as no addresses.
	h.resolve = func(_ context.Context, _, name string) ([]net.IP, error) {
		if name == "bad" {
			return nil, errors.New("no such host")
		}
		return []net.IP{net.ParseIP("127.0.0.9"), net.ParseIP("::1"), net.ParseIP("127.0.0.2"), net.ParseIP("127.0.0.9")}, nil
	}
	if got := h.lookupIP("x"); !reflect.DeepEqual(got, []string{"127.0.0.2", "127.0.0.9"}) {
		t.Errorf("lookupIP = %v", got)
	}
	if got := h.lookupIP("bad"); len(got) != 0 {
		t.Errorf("lookupIP of a failing name = %v", got)
	}
}
