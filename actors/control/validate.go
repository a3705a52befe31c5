package control

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/pitrix/pitrix/actors/safetext"
)

// problems collects every bad field of one input, so a caller hears of all at once.
type problems map[string]string

func (pr problems) add(field, format string, args ...any) {
	if _, seen := pr[field]; !seen {
		pr[field] = fmt.Sprintf(format, args...)
	}
}

func (pr problems) name(field, v string, required bool) {
	switch {
	case required && strings.TrimSpace(v) == "":
		pr.add(field, "required")
	case utf8.RuneCountInString(v) > 64:
		pr.add(field, "at most 64 characters")
	default:
		if p := safetext.NameProblem(v); p != "" {
			pr.add(field, "%s", p)
		}
	}
}

func (pr problems) text(field, v string, maxLen int) {
	if utf8.RuneCountInString(v) > maxLen {
		pr.add(field, "at most %d characters", maxLen)
	}
}

var labelKeyRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.\-/]{0,62})$`)
var labelValueRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]{0,63}$`)

func (pr problems) labels(field string, m map[string]string) {
	if len(m) > 64 {
		pr.add(field, "at most 64 labels")
	}
	for k, v := range m {
		if !labelKeyRE.MatchString(k) {
			pr.add(field+"."+k, "a label key is 1-63 letters, digits, '-', '_', '.', '/' starting with a letter or digit")
		} else if !labelValueRE.MatchString(v) {
			pr.add(field+"."+k, "a label value is at most 63 letters, digits, '-', '_', '.'")
		}
	}
}

func (pr problems) selectors(field string, m map[string][]string) {
	for k, vs := range m {
		if !labelKeyRE.MatchString(k) {
			pr.add(field+"."+k, "a selector key is a label key")
			continue
		}
		if len(vs) == 0 {
			pr.add(field+"."+k, "a selector needs at least one value")
		}
		for _, v := range vs {
			if !labelValueRE.MatchString(v) {
				pr.add(field+"."+k, "value %q is not a label value", v)
			}
		}
	}
}

func (pr problems) oneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	pr.add(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// noUserinfo refuses a URL that holds a user or password: it would be stored and shown as it
// is. The message shows the URL redacted.
func (pr problems) noUserinfo(field, raw string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err == nil && u.User != nil {
		pr.add(field, "must not hold a user or password (%s): give secrets as the credential's content", u.Redacted())
	} else if err != nil && strings.Contains(raw, "@") {
		pr.add(field, "not a URL")
	}
}
