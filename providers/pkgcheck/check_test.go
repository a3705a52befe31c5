package pkgcheck

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	m := map[string][]byte{}
	for k, v := range files {
		m[k] = []byte(v)
	}
	var b bytes.Buffer
	if err := pkgfile.Write(&b, "pkg", m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var appCenter = map[string]string{
	"config.json":           `{"type": "array", "properties": [{"key": "cluster", "type": "array", "properties": [{"key": "name", "type": "string", "default": "zk"}]}]}`,
	"cluster.json.mustache": `{"name": {{cluster.name}}, "nodes": [{"container": {"type": "process"}, "count": 1}]}`,
}

func TestCheck(t *testing.T) {
	pkg := tgz(t, appCenter)
	info, err := Check(TypeVM, pkg, spec.Origin{FileName: "zookeeper-3.4.13.tar.gz"})
	if err != nil || info.Name != "zookeeper" || info.Version != "3.4.13" {
		t.Fatalf("AppCenter package by file name = %+v, %v", info, err)
	}
	info, err = Check(TypeVM, pkg, spec.Origin{Index: spec.Ident{Name: "zk", Version: "1.0"}, FileName: "zookeeper-3.4.13.tar.gz"})
	if err != nil || info.Name != "zk" || info.Version != "1.0" {
		t.Fatalf("the index entry wins = %+v, %v", info, err)
	}
	var ve *spec.ValidationError
	if _, err := Check(TypeVM, pkg, spec.Origin{}); !errors.As(err, &ve) || ve.Files["name"] == "" || ve.Files["version"] == "" {
		t.Fatalf("nothing names it = %v", err)
	}
	withMeta := map[string]string{"package.json": `{"name": "hello", "version": "0.1.0", "description": "hi"}`}
	for k, v := range appCenter {
		withMeta[k] = v
	}
	if info, err := Check(TypeVM, tgz(t, withMeta), spec.Origin{}); err != nil || info.Name != "hello" || info.Description != "hi" {
		t.Fatalf("with package.json = %+v, %v", info, err)
	}
	if p, err := Load(pkg, spec.Origin{Upload: spec.Ident{Name: "zk", Version: "2"}}); err != nil || p.Meta.Version != "2" {
		t.Fatalf("Load = %+v, %v", p, err)
	}
	if _, err := Check(TypeVM, nil, spec.Origin{}); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty = %v", err)
	}
	if _, err := Check(TypeVM, []byte("not gzip"), spec.Origin{}); !errors.Is(err, pkgfile.ErrNotGzip) {
		t.Fatalf("not gzip = %v", err)
	}
	if _, err := Check("rpm", pkg, spec.Origin{}); err == nil || !strings.Contains(err.Error(), "rpm") {
		t.Fatalf("bad type = %v", err)
	}
	if _, err := Check(TypeHelm, pkg, spec.Origin{}); err == nil {
		t.Fatal("a VM package checked as a chart passed")
	}
}
