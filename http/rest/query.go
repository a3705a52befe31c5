package rest

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
)

// List query bounds of the contract.
const (
	defaultLimit  = 20
	maxLimit      = 200
	maxOffset     = 1 << 30
	maxQueryValue = 1024 // bytes of one q or filter value
)

// queryProblems collects the bad parameters of one query string.
type queryProblems map[string]string

func (qp queryProblems) err() error {
	if len(qp) == 0 {
		return nil
	}
	return fault.Invalid("invalid query parameters", qp)
}

// parseListQuery reads the list query of the contract (limit, offset, q, sort) plus the filters
// the route allows. Unknown or repeated parameters, bad numbers and over-long values are
// invalid_argument errors naming each parameter; empty filter values are ignored.
func parseListQuery(args *fasthttp.Args, filters []string) (catalog.ListQuery, error) {
	q := catalog.ListQuery{Limit: defaultLimit}
	bad := queryProblems{}
	seen := map[string]bool{}
	for k, v := range args.All() {
		key := string(k)
		if seen[key] {
			bad[safeKey(key)] = "given more than once"
			continue
		}
		seen[key] = true
		switch {
		case key == "limit":
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 1 || n > maxLimit {
				bad[key] = fmt.Sprintf("must be an integer from 1 to %d", maxLimit)
				continue
			}
			q.Limit = n
		case key == "offset":
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 0 || n > maxOffset {
				bad[key] = fmt.Sprintf("must be an integer from 0 to %d", maxOffset)
				continue
			}
			q.Offset = n
		case key == "q":
			if msg := checkValue(v); msg != "" {
				bad[key] = msg
				continue
			}
			q.Q = string(v)
		case key == "sort":
			if !validSort(v) {
				bad[key] = "must be a field name, optionally prefixed with -"
				continue
			}
			q.Sort = string(v)
		case slices.Contains(filters, key):
			if msg := checkValue(v); msg != "" {
				bad[key] = msg
				continue
			}
			if len(v) == 0 {
				continue
			}
			if q.Filters == nil {
				q.Filters = map[string]string{}
			}
			q.Filters[key] = string(v)
		default:
			bad[safeKey(key)] = "unknown query parameter"
		}
	}
	if err := bad.err(); err != nil {
		return catalog.ListQuery{}, err
	}
	return q, nil
}

// parseParams reads a query string of named string parameters (no list paging): each allowed
// name at most once; anything else is invalid_argument.
func parseParams(args *fasthttp.Args, allowed ...string) (map[string]string, error) {
	out := map[string]string{}
	bad := queryProblems{}
	seen := map[string]bool{}
	for k, v := range args.All() {
		key := string(k)
		switch {
		case !slices.Contains(allowed, key):
			bad[safeKey(key)] = "unknown query parameter"
		case seen[key]:
			bad[key] = "given more than once"
		default:
			seen[key] = true
			if msg := checkValue(v); msg != "" {
				bad[key] = msg
				continue
			}
			out[key] = string(v)
		}
	}
	return out, bad.err()
}

func checkValue(v []byte) string {
	switch {
	case len(v) > maxQueryValue:
		return fmt.Sprintf("longer than %d bytes", maxQueryValue)
	case !utf8.Valid(v):
		return "not valid UTF-8"
	}
	return ""
}

// validSort accepts "name", "-created_at" and the like: the backend decides which fields sort.
func validSort(v []byte) bool {
	if len(v) > 64 {
		return false
	}
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// safeKey bounds a caller's parameter name before it goes into an error answer.
func safeKey(k string) string {
	if len(k) > 64 {
		k = k[:64] + "..."
	}
	if !utf8.ValidString(k) {
		k = strconv.Quote(k)
	}
	return k
}
