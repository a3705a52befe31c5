package chart

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Bounds that keep hostile schemas cheap.
const (
	maxPatternLen = 4096    // bytes of one regular expression
	maxSchemaErrs = 100     // problems reported per validation
	maxSteps      = 1 << 20 // subschema applications per validation (anyOf/oneOf nest multiplicatively)
)

// schemaURL is the name the schema document is compiled under. Every reference that leaves it
// is refused by localOnly.
const schemaURL = "file:///values.schema.json"

// Schema is a compiled values.schema.json.
type Schema struct {
	s *jsonschema.Schema
}

// ParseSchema parses and compiles a JSON schema. It must be JSON and valid against its draft's
// metaschema (draft-07 when it names no "$schema"), patterns must compile, and every "$ref"
// must point inside the document: references to other documents (http, https, file or any
// other URL) are refused, never fetched.
func ParseSchema(data []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(localOnly{})
	c.UseRegexpEngine(boundedRegexp)
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("add values.schema.json: %w", err)
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, compileError(err)
	}
	return &Schema{s: s}, nil
}

// localOnly is the compiler's loader: it is asked only for documents other than the schema
// itself (the draft metaschemas are built in), and refuses every one.
type localOnly struct{}

func (localOnly) Load(url string) (any, error) {
	return nil, fmt.Errorf("%w: %q: only local references (#/...) are allowed", ErrRemoteRef, url)
}

// boundedRegexp compiles patterns with Go's linear-time engine, refusing very long ones.
func boundedRegexp(pattern string) (jsonschema.Regexp, error) {
	if len(pattern) > maxPatternLen {
		return nil, fmt.Errorf("pattern longer than %d bytes", maxPatternLen)
	}
	return regexp.Compile(pattern)
}

// compileError turns the compiler's error into one that names the problem without the
// internal document URL.
func compileError(err error) error {
	var load *jsonschema.LoadURLError
	if errors.As(err, &load) {
		if errors.Is(load.Err, ErrRemoteRef) {
			return load.Err // names the reference already
		}
		return fmt.Errorf("$ref %q: %w", load.URL, load.Err)
	}
	var re *jsonschema.InvalidRegexError
	if errors.As(err, &re) {
		return fmt.Errorf("%s: invalid pattern %q: %w", schemaPointer(re.URL), re.Regex, re.Err)
	}
	var sv *jsonschema.SchemaValidationError
	if errors.As(err, &sv) && sv.Err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(sv.Err, &ve) {
			probs := problems{}
			collectSchemaProblems(ve, probs)
			return fmt.Errorf("not a valid JSON schema: %s", joinSorted(probs))
		}
	}
	var nf *jsonschema.JSONPointerNotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("$ref %q does not resolve: %w", schemaPointer(nf.URL), err)
	}
	var anf *jsonschema.AnchorNotFoundError
	if errors.As(err, &anf) {
		return fmt.Errorf("$ref %q does not resolve: %w", schemaPointer(anf.URL), err)
	}
	return fmt.Errorf("compile values.schema.json: %s", strings.ReplaceAll(err.Error(), schemaURL, "values.schema.json"))
}

// collectSchemaProblems lists the metaschema violations of a schema by their place in it.
func collectSchemaProblems(e *jsonschema.ValidationError, probs problems) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectSchemaProblems(c, probs)
		}
		return
	}
	probs.add("#/"+strings.Join(e.InstanceLocation, "/"), e.ErrorKind.LocalizedString(printer))
}

// schemaPointer shortens a location in the schema document to its fragment ("#/a/b").
func schemaPointer(url string) string {
	if rest, ok := strings.CutPrefix(url, schemaURL); ok {
		if rest == "" {
			return "#"
		}
		return rest
	}
	return url
}

var printer = message.NewPrinter(language.English)

// Validate checks a value (decoded from YAML or JSON) against the schema and returns each
// problem by value path ("image.tag", "ports[0]", "(root)"), or nil.
func (s *Schema) Validate(v any) map[string]string {
	inst := normalize(v)
	if n := applications(s.s, inst, maxSteps); n > maxSteps {
		return map[string]string{"(schema)": fmt.Sprintf("too complex: validating these values takes more than %d checks", maxSteps)}
	}
	err := s.s.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return map[string]string{"(root)": err.Error()}
	}
	c := collector{inst: inst, probs: problems{}}
	c.walk(ve)
	if len(c.probs) == 0 { // only containers failed; never expected, but never report "valid"
		c.probs.add("(root)", ve.ErrorKind.LocalizedString(printer))
	}
	return c.probs
}
