package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// column is one column of a table: its header and the fields it shows, the first present
// one winning (servers may name a field one of several ways, e.g. app_version or version).
type column struct {
	header string
	keys   []string
}

// view is how one kind of object is shown: its columns in a list, and the fields shown
// first in a single-object view.
type view []column

func col(header string, keys ...string) column {
	if len(keys) == 0 {
		keys = []string{strings.ToLower(header)}
	}
	return column{header: header, keys: keys}
}

// maxCell bounds a list cell; a single-object view shows values whole.
const maxCell = 60

func (c *cmd) showList(raw json.RawMessage, v view) error {
	if c.s.g.json() {
		return writeJSON(c.out(), raw)
	}
	data, err := decodeJSON(raw)
	if err != nil {
		return err
	}
	renderList(c.out(), data, v)
	return nil
}

func (c *cmd) showObject(raw json.RawMessage, v view) error {
	if c.s.g.json() {
		return writeJSON(c.out(), raw)
	}
	data, err := decodeJSON(raw)
	if err != nil {
		return err
	}
	renderObject(c.out(), data, v)
	return nil
}

// writeJSON writes the server's JSON indented; an empty answer writes nothing.
func writeJSON(w io.Writer, raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return fmt.Errorf("indent response: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

func decodeJSON(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return v, nil
}

// renderList prints {"total_count", "items"} or a bare array as aligned columns, then the
// total count when the server gave one.
func renderList(w io.Writer, data any, v view) {
	var items []any
	total, hasTotal := "", false
	switch d := data.(type) {
	case []any:
		items = d
	case map[string]any:
		it, ok := d["items"].([]any)
		if !ok {
			renderObject(w, data, v)
			return
		}
		items = it
		if tc, ok := d["total_count"]; ok {
			total, hasTotal = cellText(tc), true
		}
	case nil:
	default:
		fmt.Fprintln(w, cellText(d))
		return
	}
	if len(v) == 0 {
		v = inferView(items)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	headers := make([]string, len(v))
	for i, c := range v {
		headers[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, it := range items {
		cells := make([]string, len(v))
		m, ok := it.(map[string]any)
		for i, c := range v {
			switch {
			case ok:
				cells[i] = truncate(cellText(lookup(m, c.keys)), maxCell)
			case i == 0:
				cells[i] = truncate(cellText(it), maxCell)
			default:
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	if hasTotal {
		fmt.Fprintf(w, "total_count: %s\n", total)
	}
}

// renderObject prints an object as aligned "field: value" lines, the view's fields first.
// An object without an id whose fields are all objects ({"app": {...}, "version": {...}})
// is printed as one section per field.
func renderObject(w io.Writer, data any, v view) {
	m, ok := data.(map[string]any)
	if !ok {
		if data != nil {
			fmt.Fprintln(w, cellText(data))
		}
		return
	}
	if isSections(m) {
		for i, k := range sortedKeys(m) {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s:\n", sanitize(k))
			writeFields(w, "  ", m[k].(map[string]any), v)
		}
		return
	}
	writeFields(w, "", m, v)
}

func isSections(m map[string]any) bool {
	if len(m) == 0 {
		return false
	}
	if _, ok := m["id"]; ok {
		return false
	}
	for _, v := range m {
		if _, ok := v.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func writeFields(w io.Writer, indent string, m map[string]any, v view) {
	order := make([]string, 0, len(m))
	seen := map[string]bool{}
	add := func(k string) {
		if _, ok := m[k]; ok && !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	add("id")
	add("name")
	for _, c := range v {
		for _, k := range c.keys {
			add(k)
		}
	}
	for _, k := range sortedKeys(m) {
		add(k)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for _, k := range order {
		fmt.Fprintf(tw, "%s%s:\t%s\n", indent, sanitize(k), cellText(m[k]))
	}
	tw.Flush()
}

func lookup(m map[string]any, keys []string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// inferView makes columns from the first item's scalar fields, for answers with no view.
func inferView(items []any) view {
	first, _ := firstMap(items)
	var v view
	for _, k := range sortedKeys(first) {
		switch first[k].(type) {
		case map[string]any, []any:
			continue
		}
		v = append(v, col(strings.ToUpper(k), k))
	}
	if len(v) == 0 {
		v = view{col("VALUE")}
	}
	return v
}

func firstMap(items []any) (map[string]any, bool) {
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			return m, true
		}
	}
	return nil, false
}

// cellText renders a JSON value for a terminal: scalars as themselves, lists of scalars
// joined with ",", maps as k=v pairs, anything deeper as compact JSON; "-" for nothing.
// Control characters are replaced so a server's text cannot move the cursor or break columns.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return sanitize(x)
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		if len(x) == 0 {
			return "-"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			if !isScalar(e) {
				return compactJSON(v)
			}
			parts[i] = cellText(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		if len(x) == 0 {
			return "-"
		}
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			e := x[k]
			switch ev := e.(type) {
			case []any:
				vals := make([]string, len(ev))
				for i, s := range ev {
					if !isScalar(s) {
						return compactJSON(v)
					}
					vals[i] = cellText(s)
				}
				parts = append(parts, sanitize(k)+"="+strings.Join(vals, "|"))
			default:
				if !isScalar(e) {
					return compactJSON(v)
				}
				parts = append(parts, sanitize(k)+"="+cellText(e))
			}
		}
		return strings.Join(parts, ",")
	}
	return sanitize(fmt.Sprint(v))
}

func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, json.Number, bool:
		return true
	}
	return false
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return sanitize(fmt.Sprint(v))
	}
	return sanitize(string(b))
}

// sanitize replaces control characters (tabs and line breaks included) with spaces and
// invalid UTF-8 with "?".
func sanitize(s string) string {
	if !strings.ContainsFunc(s, isControl) && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}
