package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
)

// globals are the flags accepted before the noun and after the verb. Later values win.
type globals struct {
	server string
	token  string
	output string
}

// register adds the global flags to root as persistent flags, so they are accepted before the
// noun and after the verb.
func (g *globals) register(root *cobra.Command) {
	fs := root.PersistentFlags()
	fs.StringVar(&g.server, "server", "", "API server `URL` (env PITRIX_SERVER, default "+client.DefaultServer+")")
	fs.StringVar(&g.token, "token", "", "bearer `token` (env PITRIX_TOKEN, else token= in ~/.config/pitrix/config)")
	fs.StringVarP(&g.output, "output", "o", "", "output `format`: table or json (default table)")
}

func (g *globals) check() error {
	switch g.output {
	case "", "table", "json":
		return nil
	}
	return fmt.Errorf("invalid value %q for flag -o: want table or json", g.output)
}

func (g *globals) json() bool { return g.output == "json" }

// settings are the resolved server and token.
type settings struct {
	server string
	token  string
}

// resolveSettings picks each setting from the flag, else the environment, else the config
// file, else the default. The config file is read only when a setting is still missing.
func resolveSettings(g globals, env Env) (settings, error) {
	st := settings{
		server: firstNonEmpty(g.server, env.Getenv("PITRIX_SERVER")),
		token:  firstNonEmpty(g.token, env.Getenv("PITRIX_TOKEN")),
	}
	if st.server == "" || st.token == "" {
		fc, err := loadConfig(env)
		if err != nil {
			return st, err
		}
		st.server = firstNonEmpty(st.server, fc.server)
		st.token = firstNonEmpty(st.token, fc.token)
	}
	st.server = firstNonEmpty(st.server, client.DefaultServer)
	return st, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// fileConfig is what ~/.config/pitrix/config holds.
type fileConfig struct {
	server string
	token  string
}

// configPath returns PITRIX_CONFIG, else ~/.config/pitrix/config, and whether the path was
// asked for explicitly (then it must exist).
func configPath(env Env) (string, bool) {
	if p := env.Getenv("PITRIX_CONFIG"); p != "" {
		return p, true
	}
	if env.HomeDir == "" {
		return "", false
	}
	return filepath.Join(env.HomeDir, ".config", "pitrix", "config"), false
}

func loadConfig(env Env) (fileConfig, error) {
	path, explicit := configPath(env)
	if path == "" {
		return fileConfig{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return fileConfig{}, nil
	}
	if err != nil {
		return fileConfig{}, fmt.Errorf("read config: %w", err)
	}
	fc, err := parseConfig(data)
	if err != nil {
		return fileConfig{}, fmt.Errorf("config %s: %w", path, err)
	}
	return fc, nil
}

// maxConfigLine bounds one line of the config file.
const maxConfigLine = 64 << 10

// parseConfig reads "key=value" lines: server and token; blank lines and lines starting with
// # are skipped, unknown keys are ignored so newer files work with older binaries, and values
// may be quoted with " or '.
func parseConfig(data []byte) (fileConfig, error) {
	var fc fileConfig
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxConfigLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return fc, fmt.Errorf("line %d: want key=value", n)
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = unquote(strings.TrimSpace(value))
		if strings.ContainsFunc(value, isControl) {
			return fc, fmt.Errorf("line %d: %s has control characters", n, key)
		}
		switch key {
		case "server":
			fc.server = value
		case "token":
			fc.token = value
		}
	}
	if err := sc.Err(); err != nil {
		return fc, fmt.Errorf("scan: %w", err)
	}
	return fc, nil
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
