package client

import (
	"net/url"
	"strconv"
)

// MaxLimit is the largest page size the API accepts.
const MaxLimit = 200

// ListOptions are the query parameters every list endpoint takes (API.md "Lists"). Zero values
// are left out, so the server's defaults apply.
type ListOptions struct {
	Limit  int
	Offset int
	// Q is the free-text search.
	Q string
	// Sort names the order; empty means the server's (newest first).
	Sort string
	// Filters are the endpoint's own filters, e.g. repo_id, category_id, status for apps.
	// Empty values are left out.
	Filters url.Values
}

// Values returns the options as a query. The result is a new map the caller may change.
func (o ListOptions) Values() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	if o.Q != "" {
		q.Set("q", o.Q)
	}
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	for k, vs := range o.Filters {
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	return q
}

// List is the shape of every list answer: {"total_count": N, "items": [...]}. Items are kept
// generic; decode into a struct of your own when you need typed fields.
type List struct {
	TotalCount int              `json:"total_count"`
	Items      []map[string]any `json:"items"`
}
