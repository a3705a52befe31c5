package webbuild

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// indexTemplate is the page every client route answers with; %s are the CSS and JS names.
const indexTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pitrix</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/%s">
<script type="module" src="/ui/assets/%s"></script>
</head>
<body>
<div id="app"><p class="boot">Loading Pitrix…</p></div>
</body>
</html>
`

// Build bundles webDir/src/main.tsx into outDir (created; files of an earlier build in it are
// removed first). It returns the names written, sorted.
func Build(webDir, outDir string) ([]string, error) {
	webDir, err := filepath.Abs(webDir)
	if err != nil {
		return nil, fmt.Errorf("webbuild: %s: %w", webDir, err)
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{filepath.Join(webDir, "src", "main.tsx")},
		AbsWorkingDir:     webDir,
		Bundle:            true,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Format:            api.FormatESModule,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2020,
		JSX:               api.JSXAutomatic,
		JSXImportSource:   "preact",
		NodePaths:         []string{filepath.Join(webDir, "vendor", "node_modules")},
		Outdir:            filepath.Join(webDir, "out"), // names only: nothing is written
		EntryNames:        "app-[hash]",
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		LogLevel:          api.LogLevelSilent,
		Write:             false,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("webbuild: esbuild: %s", strings.Join(msgs, "\n"))
	}
	files := map[string][]byte{}
	var js, css string
	for _, f := range res.OutputFiles {
		name := filepath.Base(f.Path)
		switch filepath.Ext(name) {
		case ".js":
			js = name
		case ".css":
			css = name
		default:
			return nil, fmt.Errorf("webbuild: unexpected output %s", name)
		}
		files[name] = f.Contents
	}
	if js == "" || css == "" {
		return nil, fmt.Errorf("webbuild: want one .js and one .css output, got %d files", len(res.OutputFiles))
	}
	files["index.html"] = fmt.Appendf(nil, indexTemplate, css, js)

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("webbuild: %w", err)
	}
	old, err := os.ReadDir(outDir)
	if err != nil {
		return nil, fmt.Errorf("webbuild: %w", err)
	}
	for _, e := range old {
		if !e.IsDir() && e.Name() != "doc.go" {
			if err := os.Remove(filepath.Join(outDir, e.Name())); err != nil {
				return nil, fmt.Errorf("webbuild: %w", err)
			}
		}
	}
	var names []string
	for name, b := range files {
		gz, err := Gzip(b)
		if err != nil {
			return nil, fmt.Errorf("webbuild: gzip %s: %w", name, err)
		}
		for n, data := range map[string][]byte{name: b, name + ".gz": gz} {
			if err := os.WriteFile(filepath.Join(outDir, n), data, 0o644); err != nil {
				return nil, fmt.Errorf("webbuild: %w", err)
			}
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Gzip compresses b at the best level with an empty header (no name, no time), so the same
// input gives the same bytes.
func Gzip(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
