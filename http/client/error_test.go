package client

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		code    string
		message string
		details string
	}{
		{name: "envelope", status: 409, body: `{"error":{"code":"failed_precondition","message":"runtime has live clusters","details":{"clusters":2}}}`,
			code: "failed_precondition", message: "runtime has live clusters", details: "map[clusters:2]"},
		{name: "no code", status: 409, body: `{"error":{"message":"busy"}}`, code: "conflict", message: "busy"},
		{name: "array details", status: 400, body: `{"error":{"code":"invalid_argument","message":"m","details":["a"]}}`,
			code: "invalid_argument", message: "m", details: "map[details:[a]]"},
		{name: "null details", status: 400, body: `{"error":{"code":"invalid_argument","message":"m","details":null}}`,
			code: "invalid_argument", message: "m", details: "map[]"},
		{name: "error is a string", status: 500, body: `{"error":"boom"}`, code: "internal", message: "internal server error"},
		{name: "empty", status: 503, body: ``, code: "unavailable", message: "service unavailable"},
		{name: "unknown status", status: 599, body: ``, code: "internal", message: "HTTP status 599"},
		{name: "long text", status: 400, body: strings.Repeat("é", 300), code: "invalid_argument", message: strings.Repeat("é", 100) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := decodeError(tt.status, []byte(tt.body))
			if e.Status != tt.status || e.Code != tt.code || e.Message != tt.message {
				t.Errorf("decodeError = %+v, want code %q message %q", e, tt.code, tt.message)
			}
			if tt.details != "" {
				if got := fmt.Sprint(e.Details); got != tt.details {
					t.Errorf("details = %s, want %s", got, tt.details)
				}
			}
		})
	}
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"code":"invalid_argument","message":"bad","details":{"name":"required"}}}`))
	f.Add(500, []byte(`{"error":{"details":[1,2,{"x":null}]}}`))
	f.Add(502, []byte("<html>gateway</html>"))
	f.Add(404, []byte("\xff\xfe not utf8 \n more"))
	f.Add(200, []byte(`{"error":null}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeError(status, body)
		if e.Code == "" || e.Message == "" {
			t.Fatalf("decodeError(%d, %q) = %+v: empty code or message", status, body, e)
		}
		if e.Status != status {
			t.Fatalf("status %d, want %d", e.Status, status)
		}
		if !utf8.ValidString(e.Code) || !utf8.ValidString(e.Message) {
			t.Fatalf("invalid UTF-8 in %+v", e)
		}
		_ = e.Error()
	})
}
