package cli

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    fileConfig
		wantErr string
	}{
		{name: "empty", in: "", want: fileConfig{}},
		{name: "both", in: "server=http://127.0.0.1:9080\ntoken=abc\n", want: fileConfig{server: "http://127.0.0.1:9080", token: "abc"}},
		{name: "spaces comments quotes", in: "# mine\n\n  Server = 'http://h:1'  \r\n token=\"a=b\"\n", want: fileConfig{server: "http://h:1", token: "a=b"}},
		{name: "unknown keys ignored", in: "color=on\ntoken=t\n", want: fileConfig{token: "t"}},
		{name: "last wins", in: "token=a\ntoken=b\n", want: fileConfig{token: "b"}},
		{name: "no equals", in: "token=a\nserver\n", wantErr: "line 2: want key=value"},
		{name: "control chars", in: "token=a\x1bb\n", wantErr: "line 1: token has control characters"},
		{name: "overlong line", in: "token=" + strings.Repeat("x", maxConfigLine), wantErr: "token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseConfig([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseConfig: err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseConfig = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("server=http://127.0.0.1:9080\ntoken=abc\n"))
	f.Add([]byte("# c\n token = \"x\" \n"))
	f.Add([]byte("=\n"))
	f.Add([]byte("token='\n"))
	f.Add([]byte("\xff\xfe=\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fc, err := parseConfig(data)
		if err != nil {
			return
		}
		// What was read contains no line breaks or control characters, so writing it back
		// and reading again gives the same settings.
		if strings.ContainsFunc(fc.server+fc.token, isControl) {
			t.Fatalf("control characters in %+v", fc)
		}
		again, err := parseConfig([]byte("server=\"" + fc.server + "\"\ntoken=\"" + fc.token + "\"\n"))
		if err != nil || again != fc {
			t.Fatalf("round trip of %+v: %+v, %v", fc, again, err)
		}
	})
}
