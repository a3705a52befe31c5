package chart

import (
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// applications bounds from above the subschema applications validating v against s takes: the
// validator has no step budget of its own, and anyOf/oneOf branches that each refer to the
// next multiply its work while the schema text grows linearly. Counting is memoized by
// (subschema, value location), so it costs at most the distinct pairs; it stops at limit.
func applications(s *jsonschema.Schema, v any, limit int) int {
	b := &bounder{memo: map[visit]int{}, active: map[visit]bool{}, limit: limit}
	return b.count(s, v, "")
}

type visit struct {
	s  *jsonschema.Schema
	at string // JSON pointer of the value
}

type bounder struct {
	memo   map[visit]int
	active map[visit]bool
	limit  int
}

func (b *bounder) count(s *jsonschema.Schema, v any, at string) int {
	if s == nil {
		return 0
	}
	key := visit{s, at}
	if n, ok := b.memo[key]; ok {
		return n
	}
	if b.active[key] {
		// A cycle that does not descend into the value. The validator reports it as a
		// reference cycle instead of looping; it costs one step here.
		return 1
	}
	b.active[key] = true
	defer delete(b.active, key)

	n := 1
	addSame := func(subs ...*jsonschema.Schema) {
		for _, sub := range subs {
			if n <= b.limit {
				n += b.count(sub, v, at)
			}
		}
	}
	addSame(s.Ref, s.RecursiveRef, s.Not, s.If, s.Then, s.Else)
	if s.DynamicRef != nil {
		addSame(s.DynamicRef.Ref)
	}
	addSame(s.AllOf...)
	addSame(s.AnyOf...)
	addSame(s.OneOf...)
	for _, sub := range s.DependentSchemas {
		addSame(sub)
	}
	for _, d := range s.Dependencies {
		if sub, ok := d.(*jsonschema.Schema); ok {
			addSame(sub)
		}
	}
	addChild := func(sub *jsonschema.Schema, cv any, cat string) {
		if n <= b.limit {
			n += b.count(sub, cv, cat)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, cv := range x {
			cat := at + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			addChild(s.Properties[k], cv, cat)
			for re, sub := range s.PatternProperties {
				if re.MatchString(k) {
					addChild(sub, cv, cat)
				}
			}
			if sub, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
				addChild(sub, cv, cat)
			}
			addChild(s.UnevaluatedProperties, cv, cat)
			addChild(s.PropertyNames, k, cat+"#name")
		}
	case []any:
		for i, cv := range x {
			cat := at + "/" + strconv.Itoa(i)
			switch items := s.Items.(type) {
			case *jsonschema.Schema:
				addChild(items, cv, cat)
			case []*jsonschema.Schema:
				if i < len(items) {
					addChild(items[i], cv, cat)
				} else if sub, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
					addChild(sub, cv, cat)
				}
			}
			if i < len(s.PrefixItems) {
				addChild(s.PrefixItems[i], cv, cat)
			}
			addChild(s.Items2020, cv, cat)
			addChild(s.Contains, cv, cat)
			addChild(s.UnevaluatedItems, cv, cat)
		}
	}
	b.memo[key] = n
	return n
}
