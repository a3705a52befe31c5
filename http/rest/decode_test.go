package rest

import (
	"errors"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
)

// FuzzDecodeJSON feeds arbitrary bytes to the strict body decoder: it never panics, and every
// failure is classified invalid_argument (or too_large) with details.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"r","type":"http","url":"u","credential":{"username":"a"},"labels":{"a":"b"},"selectors":{"k":["v"]},"index_interval":60}`,
		`{}`, `{"name":1}`, `{"x":1}`, `{"name":"a"} x`, `{"name":`, `null`, `[]`, `  `, `{"index_interval":1e100}`,
		`{"labels":{"a":1}}`, "{\"name\":\"\xff\"}", `{"credential":null}`, `{"name":"a","name":"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in catalog.RepoInput
		err := decodeJSON(body, 4096, &in)
		if err == nil {
			return
		}
		var fe *fault.Error
		if !errors.As(err, &fe) {
			t.Fatalf("unclassified error %v", err)
		}
		switch fe.Code {
		case fault.CodeInvalid:
			if len(fe.Details) == 0 {
				t.Fatalf("invalid_argument without details: %v", err)
			}
		case fault.CodeTooLarge:
			if len(body) <= 4096 {
				t.Fatalf("too_large for %d bytes", len(body))
			}
		default:
			t.Fatalf("code %s for %q", fe.Code, body)
		}
	})
}

// FuzzListQuery feeds arbitrary query strings to the list query parser: it never panics, and
// what it accepts is within the contract's bounds.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10&offset=5", "limit=0", "limit=201", "q=%ff", "sort=-name", "repo_id=&status=active",
		"limit=1&limit=2", "x=1", "offset=-1", "q=" + strings.Repeat("a", 2000), "%zz=1", "&&&=", "limit=+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var args fasthttp.Args
		args.Parse(raw)
		q, err := parseListQuery(&args, appFilters)
		if err != nil {
			if fault.Code(err) != fault.CodeInvalid {
				t.Fatalf("code %s: %v", fault.Code(err), err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > maxLimit || q.Offset < 0 || len(q.Q) > maxQueryValue {
			t.Fatalf("accepted out of bounds %+v from %q", q, raw)
		}
		for k, v := range q.Filters {
			if v == "" || !contains(appFilters, k) {
				t.Fatalf("filter %q=%q accepted", k, v)
			}
		}
	})
}

// FuzzReadPackage feeds arbitrary upload bodies, raw and multipart, to the package reader.
func FuzzReadPackage(f *testing.F) {
	f.Add("application/gzip", []byte("\x1f\x8b"))
	f.Add("multipart/form-data; boundary=X", []byte("--X\r\nContent-Disposition: form-data; name=\"package\"; filename=\"a.tgz\"\r\n\r\nabc\r\n--X--\r\n"))
	f.Add("multipart/form-data; boundary=X", []byte("--X\r\n\r\n"))
	f.Add("text/plain", []byte("x"))
	f.Add("multipart/form-data", []byte(""))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		pkg, err := readPackage(ct, body, 1024)
		if err != nil {
			if c := fault.Code(err); c != fault.CodeInvalid && c != fault.CodeTooLarge {
				t.Fatalf("code %s: %v", c, err)
			}
			return
		}
		if len(pkg) == 0 || len(pkg) > 1024 {
			t.Fatalf("accepted a package of %d bytes", len(pkg))
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestReadUploadOrigin: a multipart upload's "name" and "version" fields and the file name of
// its package part come back with the package; oversized fields are refused by name.
func TestReadUploadOrigin(t *testing.T) {
	body := "--X\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n zookeeper \r\n" +
		"--X\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n3.4.13\r\n" +
		"--X\r\nContent-Disposition: form-data; name=\"package\"; filename=\"zookeeper-3.4.13.tar.gz\"\r\n\r\nabc\r\n--X--\r\n"
	pkg, po, err := readUpload("multipart/form-data; boundary=X", []byte(body), 1024)
	if err != nil || string(pkg) != "abc" {
		t.Fatalf("readUpload = %q, %v", pkg, err)
	}
	if po.Name != "zookeeper" || po.Version != "3.4.13" || po.FileName != "zookeeper-3.4.13.tar.gz" {
		t.Fatalf("origin = %+v", po)
	}
	long := "--X\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n" + strings.Repeat("9", maxUploadField+1) + "\r\n" +
		"--X\r\nContent-Disposition: form-data; name=\"package\"; filename=\"a.tgz\"\r\n\r\nabc\r\n--X--\r\n"
	var fe *fault.Error
	if _, _, err := readUpload("multipart/form-data; boundary=X", []byte(long), 1024); !errors.As(err, &fe) || fe.Code != fault.CodeInvalid || fe.Details["version"] == "" {
		t.Fatalf("long version field = %v", err)
	}
	// A raw body has no origin of its own (the query gives it).
	if _, po, err := readUpload("application/gzip", []byte("abc"), 1024); err != nil || po != (catalog.PackageOrigin{}) {
		t.Fatalf("raw upload = %+v, %v", po, err)
	}
}
