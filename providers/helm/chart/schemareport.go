package chart

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// collector turns the validator's error tree into problems by value path.
type collector struct {
	inst  any
	probs problems
}

func (c *collector) add(path, msg string) {
	if len(c.probs) >= maxSchemaErrs {
		if _, ok := c.probs[path]; !ok {
			return
		}
	}
	c.probs.add(path, msg)
}

// walk reports e's leaves. anyOf, oneOf, not, contains and propertyNames are reported where
// they failed: their causes are the branches that did not match, not problems of the value.
func (c *collector) walk(e *jsonschema.ValidationError) {
	at := e.InstanceLocation
	path := c.path(at)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			c.add(c.path(append(at[:len(at):len(at)], name)), "is required")
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			c.add(c.path(append(at[:len(at):len(at)], name)), "is not allowed (additionalProperties is false)")
		}
	case *kind.AdditionalItems:
		if arr, ok := c.value(at).([]any); ok {
			for i := len(arr) - k.Count; i < len(arr); i++ {
				c.add(c.path(append(at[:len(at):len(at)], strconv.Itoa(i))), "is not allowed (additionalItems is false)")
			}
		} else {
			c.add(path, k.LocalizedString(printer))
		}
	case *kind.UniqueItems:
		c.add(c.path(append(at[:len(at):len(at)], strconv.Itoa(k.Duplicates[1]))), fmt.Sprintf("duplicates item %d", k.Duplicates[0]))
	case *kind.Type:
		c.add(path, fmt.Sprintf("got %s, want %s", k.Got, strings.Join(k.Want, " or ")))
	case *kind.Enum:
		c.add(path, fmt.Sprintf("%s is not one of the allowed values", short(k.Got)))
	case *kind.Const:
		c.add(path, fmt.Sprintf("%s is not the allowed value %s", short(k.Got), short(k.Want)))
	case *kind.Minimum:
		c.add(path, fmt.Sprintf("%s is below the minimum %s", rat(k.Got), rat(k.Want)))
	case *kind.Maximum:
		c.add(path, fmt.Sprintf("%s is above the maximum %s", rat(k.Got), rat(k.Want)))
	case *kind.ExclusiveMinimum:
		c.add(path, fmt.Sprintf("%s must be greater than %s", rat(k.Got), rat(k.Want)))
	case *kind.ExclusiveMaximum:
		c.add(path, fmt.Sprintf("%s must be less than %s", rat(k.Got), rat(k.Want)))
	case *kind.MultipleOf:
		c.add(path, fmt.Sprintf("%s is not a multiple of %s", rat(k.Got), rat(k.Want)))
	case *kind.MinLength:
		c.add(path, fmt.Sprintf("shorter than %d characters", k.Want))
	case *kind.MaxLength:
		c.add(path, fmt.Sprintf("longer than %d characters", k.Want))
	case *kind.MinItems:
		c.add(path, fmt.Sprintf("has %d items, want at least %d", k.Got, k.Want))
	case *kind.MaxItems:
		c.add(path, fmt.Sprintf("has %d items, want at most %d", k.Got, k.Want))
	case *kind.MinProperties:
		c.add(path, fmt.Sprintf("has %d properties, want at least %d", k.Got, k.Want))
	case *kind.MaxProperties:
		c.add(path, fmt.Sprintf("has %d properties, want at most %d", k.Got, k.Want))
	case *kind.Pattern:
		c.add(path, fmt.Sprintf("%s does not match the pattern %q", short(k.Got), k.Want))
	case *kind.AnyOf:
		c.add(path, "matches none of the anyOf schemas")
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			c.add(path, "matches none of the oneOf schemas")
		} else {
			c.add(path, fmt.Sprintf("matches %d of the oneOf schemas, want exactly 1", len(k.Subschemas)))
		}
	case *kind.Not:
		c.add(path, `must not match the "not" schema`)
	case *kind.RefCycle:
		c.add(path, "schema recursion without progress: a $ref cycle that never descends into the value")
	case *kind.FalseSchema:
		c.add(path, "no value is allowed here")
	case *kind.Contains:
		c.add(path, "contains no matching item")
	case *kind.PropertyNames:
		c.add(c.path(append(at[:len(at):len(at)], k.Property)), "property name is not allowed")
	default:
		if len(e.Causes) == 0 {
			c.add(path, e.ErrorKind.LocalizedString(printer))
		}
		for _, cause := range e.Causes { // allOf, $ref, if/then/else, properties, items, ...
			c.walk(cause)
		}
	}
}

// value returns the value at a location of the instance, or nil.
func (c *collector) value(at []string) any {
	v := c.inst
	for _, tok := range at {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// path writes a location as "a.b[0].c", or "(root)".
func (c *collector) path(at []string) string {
	if len(at) == 0 {
		return "(root)"
	}
	var b strings.Builder
	v := c.inst
	for _, tok := range at {
		if arr, ok := v.([]any); ok {
			b.WriteString("[" + tok + "]")
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(arr) {
				v = arr[i]
			} else {
				v = nil
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		if m, ok := v.(map[string]any); ok {
			v = m[tok]
		} else {
			v = nil
		}
	}
	return b.String()
}

// rat writes a number of the validator's as a short decimal.
func rat(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// short writes a value for a message, cut to 60 bytes.
func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
