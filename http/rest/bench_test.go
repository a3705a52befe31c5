package rest

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/catalog"
)

// BenchmarkGetCategory measures the front's own cost per request (routing, auth call, backend
// call on the in-memory backend, JSON encoding, metrics) without sockets.
func BenchmarkGetCategory(b *testing.B) {
	be := newMemBackend()
	s, err := New(Config{}, be)
	if err != nil {
		b.Fatal(err)
	}
	name := "bench"
	c, err := be.CreateCategory(b.Context(), be.tokens[adminToken], catalogInput(name))
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	var fc fasthttp.RequestCtx
	var req fasthttp.Request
	req.SetRequestURI("/v1/categories/" + c.ID)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		fc.Init(&req, nil, nil)
		h(&fc)
		if fc.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", fc.Response.StatusCode(), fc.Response.Body())
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
}

func catalogInput(name string) catalog.CategoryInput { return catalog.CategoryInput{Name: &name} }
