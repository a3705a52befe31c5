package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"reflect"
	"strings"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
)

// decodeJSON decodes body strictly into dst (a pointer to a struct): the body must be one JSON
// object of at most limit bytes, with known fields of the right types and nothing after it.
// Every failure is a *fault.Error of code invalid_argument (naming the field or the byte
// offset) or too_large.
func decodeJSON(body []byte, limit int, dst any) error {
	if len(body) > limit {
		return fault.TooLarge("request body of %d bytes is over the limit of %d bytes", len(body), limit)
	}
	start := len(body) - len(bytes.TrimLeft(body, " \t\r\n"))
	if start == len(body) {
		return fault.Invalid("request body is required", map[string]string{"body": "empty; a JSON object is required"})
	}
	if body[start] != '{' {
		return fault.Invalid("request body must be a JSON object",
			map[string]string{"body": fmt.Sprintf("expected a JSON object at byte offset %d", start)})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, len(body))
	}
	off := dec.InputOffset()
	if rest := bytes.TrimLeft(body[off:], " \t\r\n"); len(rest) > 0 {
		return fault.Invalid("request body has data after the JSON object", map[string]string{
			"body": fmt.Sprintf("unexpected data at byte offset %d", int(off)+len(body[off:])-len(rest)),
		})
	}
	return nil
}

// jsonError classifies an encoding/json decode error of a request body.
func jsonError(err error, size int) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		inv *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &syn):
		return fault.Invalid("malformed JSON body", map[string]string{
			"body": fmt.Sprintf("malformed JSON at byte offset %d: %s", syn.Offset, syn.Error()),
		})
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fault.Invalid("malformed JSON body", map[string]string{
			"body": fmt.Sprintf("malformed JSON: unexpected end at byte offset %d", size),
		})
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return fault.Invalid("invalid field "+field, map[string]string{
			field: fmt.Sprintf("expected %s, got %s", jsonType(typ.Type), typ.Value),
		})
	case errors.As(err, &inv):
		return fault.Internal(err, "decode request body")
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if len(name) > 100 {
			name = name[:100] + "..."
		}
		return fault.Invalid("unknown field "+name, map[string]string{name: "unknown field"})
	}
	return fault.Invalid("invalid JSON body", map[string]string{"body": strings.TrimPrefix(msg, "json: ")})
}

// jsonType names the JSON type a Go type decodes from.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}

// decodeOptionalJSON is decodeJSON for bodies that may be absent (review actions, index).
func decodeOptionalJSON(body []byte, limit int, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeJSON(body, limit, dst)
}

// rawPackageTypes are the Content-Types of a raw .tgz upload body.
var rawPackageTypes = map[string]bool{
	"application/gzip":             true,
	"application/x-gzip":           true,
	"application/octet-stream":     true,
	"application/x-tar+gzip":       true,
	"application/x-compressed-tar": true,
}

// packageField is the multipart file field that carries the package.
const packageField = "package"

// readPackage extracts an uploaded package from a request body: the raw .tgz, or the file field
// "package" of a multipart/form-data body. The returned slice is a copy the caller may keep.
func readPackage(contentType string, body []byte, limit int) ([]byte, error) {
	pkg, _, err := readUpload(contentType, body, limit)
	return pkg, err
}

// maxUploadField bounds the name and version fields of a multipart upload.
const maxUploadField = 256

// readUpload is readPackage that also returns what a multipart body says of the package: the
// "name" and "version" fields and the file name of the "package" part.
func readUpload(contentType string, body []byte, limit int) ([]byte, catalog.PackageOrigin, error) {
	var po catalog.PackageOrigin
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, po, fault.Invalid("unsupported Content-Type", map[string]string{
			"Content-Type": "send application/gzip (the raw .tgz) or multipart/form-data with a \"package\" file",
		})
	}
	var pkg []byte
	switch {
	case rawPackageTypes[mt]:
		if len(body) > limit {
			return nil, po, fault.TooLarge("package is %d bytes, over the limit of %d", len(body), limit)
		}
		pkg = bytes.Clone(body)
	case mt == "multipart/form-data":
		if pkg, po, err = readMultipartPackage(body, params["boundary"], limit); err != nil {
			return nil, po, err
		}
	default:
		return nil, po, fault.Invalid("unsupported Content-Type "+mt, map[string]string{
			"Content-Type": "send application/gzip (the raw .tgz) or multipart/form-data with a \"package\" file",
		})
	}
	if len(pkg) == 0 {
		return nil, po, fault.Invalid("empty package", map[string]string{packageField: "empty; send the .tgz"})
	}
	return pkg, po, nil
}

func readMultipartPackage(body []byte, boundary string, limit int) ([]byte, catalog.PackageOrigin, error) {
	var po catalog.PackageOrigin
	if boundary == "" {
		return nil, po, fault.Invalid("multipart body without boundary", map[string]string{"Content-Type": "missing boundary parameter"})
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var pkg []byte
	found := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, po, fault.Invalid("malformed multipart body", map[string]string{"body": "malformed multipart/form-data"})
		}
		if f := part.FormName(); f == "name" || f == "version" {
			v, err := io.ReadAll(io.LimitReader(part, maxUploadField+1))
			if err != nil || len(v) > maxUploadField {
				return nil, po, fault.Invalid("bad upload field", map[string]string{f: fmt.Sprintf("at most %d bytes", maxUploadField)})
			}
			if f == "name" {
				po.Name = strings.TrimSpace(string(v))
			} else {
				po.Version = strings.TrimSpace(string(v))
			}
			continue
		}
		if part.FormName() != packageField {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, po, fault.Invalid("malformed multipart body", map[string]string{"body": "malformed multipart/form-data"})
			}
			continue
		}
		if found {
			return nil, po, fault.Invalid("more than one package", map[string]string{packageField: "given more than once"})
		}
		found = true
		po.FileName = part.FileName()
		pkg, err = io.ReadAll(io.LimitReader(part, int64(limit)+1))
		if err != nil {
			return nil, po, fault.Invalid("malformed multipart body", map[string]string{packageField: "malformed file part"})
		}
		if len(pkg) > limit {
			return nil, po, fault.TooLarge("package is over the limit of %d bytes", limit)
		}
	}
	if !found {
		return nil, po, fault.Invalid("missing package", map[string]string{packageField: "missing; send the .tgz as the file field \"package\""})
	}
	return pkg, po, nil
}
