package rest

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/catalog"
)

// internalBody is answered when a response cannot be encoded.
const internalBody = `{"error":{"code":"internal","message":"internal error: response encoding","details":{}}}` + "\n"

// writeJSON answers status with v encoded as JSON.
func writeJSON(fc *fasthttp.RequestCtx, status int, v any) {
	fc.SetContentType("application/json")
	fc.ResetBody()
	// Encode writes v and a newline straight into the body, once v is encoded whole: on an
	// error nothing was written.
	if err := json.NewEncoder(fc).Encode(v); err != nil {
		fc.SetStatusCode(fasthttp.StatusInternalServerError)
		fc.SetBodyString(internalBody)
		return
	}
	fc.SetStatusCode(status)
}

func writeOK(fc *fasthttp.RequestCtx, v any)      { writeJSON(fc, fasthttp.StatusOK, v) }
func writeCreated(fc *fasthttp.RequestCtx, v any) { writeJSON(fc, fasthttp.StatusCreated, v) }

// writeAccepted answers an asynchronous mutation: 202 with the job that carries it out.
func writeAccepted(fc *fasthttp.RequestCtx, v any) { writeJSON(fc, fasthttp.StatusAccepted, v) }

func writeNoContent(fc *fasthttp.RequestCtx) {
	fc.SetStatusCode(fasthttp.StatusNoContent)
	fc.ResetBody()
}

// page makes a list answer: items is never null on the wire.
func page[T any](p catalog.Page[T]) catalog.Page[T] {
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}

// listOf wraps a plain slice the backend returns whole as a list answer.
func listOf[T any](items []T) catalog.Page[T] {
	return page(catalog.Page[T]{TotalCount: len(items), Items: items})
}
