package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// localeDir holds a package's translations, one file per language named
// for it (AppCenter's layout: locale/en.json, locale/zh-cn.json). Each file
// is one JSON object from a text of the package (a label, a description,
// a custom service's name, a monitor item) to its translation.
const localeDir = "locale/"

// parseLocales reads every locale/*.json of files into lang -> text ->
// translation, lang lower-case. A file that is not an object of strings is
// a problem named by its path.
func parseLocales(files map[string][]byte, errs problems) map[string]map[string]string {
	out := map[string]map[string]string{}
	for name, data := range files {
		if !strings.HasPrefix(name, localeDir) || path.Ext(name) != ".json" || strings.Contains(name[len(localeDir):], "/") {
			continue
		}
		lang := normLang(strings.TrimSuffix(name[len(localeDir):], ".json"))
		m, err := parseLocale(data)
		if err != nil {
			errs.add(name, err.Error())
			continue
		}
		out[lang] = m
	}
	return out
}

func parseLocale(data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object of texts: %w", jsonErr(data, err))
	}
	if raw == nil {
		return nil, fmt.Errorf("not a JSON object of texts: null")
	}
	out := make(map[string]string, len(raw))
	var bad []string
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			bad = append(bad, fmt.Sprintf("%q: want a string, got %s", truncate(k, 60), truncate(string(v), 40)))
			continue
		}
		out[k] = s
	}
	if len(bad) > 0 {
		sortStrings(bad)
		return nil, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return out, nil
}

// normLang writes a language tag as the locale files are named: lower case
// with a dash ("zh_CN" and "zh-CN" are "zh-cn").
func normLang(lang string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(lang)), "_", "-")
}

// Translate returns text in lang ("zh-CN", "zh-cn", "zh", "en", ...) from
// the package's locale files: the file of the language itself, then of its
// base language ("zh" for "zh-tw"), then of a regional form of it ("zh-cn"
// for "zh"), then English (AppCenter packages often use keys as labels and
// give the English text in en.json), then text itself.
func (p *Package) Translate(lang, text string) string {
	if p == nil || len(p.Locales) == 0 || text == "" {
		return text
	}
	for _, l := range langChain(normLang(lang), p.Locales) {
		if s, ok := p.Locales[l][text]; ok && s != "" {
			return s
		}
	}
	return text
}

// langChain is the order in which Translate tries the locale files for
// lang.
func langChain(lang string, have map[string]map[string]string) []string {
	var chain []string
	add := func(l string) {
		for _, c := range chain {
			if c == l {
				return
			}
		}
		if _, ok := have[l]; ok {
			chain = append(chain, l)
		}
	}
	if lang != "" {
		add(lang)
		base, _, _ := strings.Cut(lang, "-")
		add(base)
		var regional []string
		for l := range have {
			if strings.HasPrefix(l, base+"-") {
				regional = append(regional, l)
			}
		}
		sortStrings(regional)
		for _, l := range regional {
			add(l)
		}
	}
	add("en")
	return chain
}

// Languages lists the languages the package has locale files for, sorted.
func (p *Package) Languages() []string {
	out := make([]string, 0, len(p.Locales))
	for l := range p.Locales {
		out = append(out, l)
	}
	sortStrings(out)
	return out
}
