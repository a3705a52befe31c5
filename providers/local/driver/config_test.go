package driver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
)

// noIssuer never gets to issue: the configs under test are refused first.
type noIssuer struct{}

func (noIssuer) Issue(pki.Kind, string, time.Duration, ...string) ([]byte, []byte, error) {
	return nil, nil, errors.New("no issuer")
}
func (noIssuer) CA() []byte { return nil }

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "plain")
	if err := os.WriteFile(notExec, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := func() Config {
		return Config{Dir: filepath.Join(dir, "d"), Binary: binary, Control: func() string { return "127.0.0.1:1" }, Issuer: noIssuer{}}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // in the error; "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"default binary", func(c *Config) { c.Binary = "" }, ""},
		{"no dir", func(c *Config) { c.Dir = "" }, "Dir is required"},
		{"no control", func(c *Config) { c.Control = nil }, "Control is required"},
		{"no issuer", func(c *Config) { c.Issuer = nil }, "Issuer is required"},
		{"missing binary", func(c *Config) { c.Binary = filepath.Join(dir, "nope") }, "nope"},
		{"binary is a dir", func(c *Config) { c.Binary = dir }, "not an executable"},
		{"binary not executable", func(c *Config) { c.Binary = notExec }, "not an executable"},
		{"negative stop timeout", func(c *Config) { c.StopTimeout = -time.Second }, "StopTimeout"},
		{"negative ready timeout", func(c *Config) { c.ReadyTimeout = -time.Second }, "ReadyTimeout"},
		{"cert ttl too long", func(c *Config) { c.CertTTL = pki.MaxTTL + time.Hour }, "CertTTL"},
		{"all missing", func(c *Config) { *c = Config{} }, "Issuer is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.mutate(&c)
			d, err := New(c)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				for _, sub := range []string{vpcsDir, instancesDir, locksDir, trashDir} {
					if fi, err := os.Stat(filepath.Join(d.Dir(), sub)); err != nil || !fi.IsDir() {
						t.Fatalf("%s: %v", sub, err)
					}
				}
				if !filepath.IsAbs(d.cfg.Binary) || d.cfg.StopTimeout != DefaultStopTimeout || d.cfg.CertTTL != DefaultCertTTL {
					t.Fatalf("defaults not applied: %+v", d.cfg)
				}
				return
			}
			if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v; want ErrBadConfig mentioning %q", err, tt.want)
			}
		})
	}
}
