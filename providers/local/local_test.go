package local

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/providers"
)

func TestValidate(t *testing.T) {
	p := Provider{}
	ctx := t.Context()
	if err := p.ValidateRuntime(ctx, "", providers.Credential{}); err != nil {
		t.Fatalf("empty zone: %v", err)
	}
	if err := p.ValidateRuntime(ctx, "local", providers.Credential{}); err != nil {
		t.Fatalf("zone local: %v", err)
	}
	if err := p.ValidateRuntime(ctx, "us-east-1", providers.Credential{}); err == nil {
		t.Fatal("zone us-east-1 accepted")
	}
	if err := p.ValidateCredential(ctx, providers.Credential{Content: "{}"}); err != nil {
		t.Fatalf("{} credential: %v", err)
	}
	if err := p.ValidateCredential(ctx, providers.Credential{Content: "apiVersion: v1"}); !errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("content credential: %v, want ErrInvalidCredential", err)
	}
	reg, err := providers.NewRegistry(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := providers.NewRegistry(p, p); err == nil {
		t.Fatal("duplicate provider accepted")
	}
	if got, ok := reg.Get("local"); !ok || got.AppType() != providers.AppTypeVM {
		t.Fatalf("registry Get(local) = %v, %v", got, ok)
	}
}

// TestCheck: a machine that cannot sandbox makes the local runtime refuse, with the reason.
func TestCheck(t *testing.T) {
	ctx := t.Context()
	ok := Provider{Sandbox: func(context.Context) error { return nil }}
	if err := ok.Check(ctx); err != nil {
		t.Fatal(err)
	}
	why := errors.New("overlay: operation not permitted")
	no := Provider{Sandbox: func(context.Context) error { return why }}
	if err := no.Check(ctx); !errors.Is(err, why) || !strings.Contains(err.Error(), "sandbox") {
		t.Fatalf("Check = %v; want the reason, saying sandbox", err)
	}
	if err := no.ValidateRuntime(ctx, Zone, providers.Credential{}); !errors.Is(err, why) {
		t.Fatalf("ValidateRuntime = %v; want the sandbox's reason", err)
	}
}
