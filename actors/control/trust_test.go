package control

import (
	"testing"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/runtimes"
)

func TestCheckRuntimeTrust(t *testing.T) {
	t.Parallel()
	admin := identity.Principal{UserID: identity.AdminID, Role: identity.RoleAdmin}
	for _, tt := range []struct {
		pr       identity.Principal
		provider string
		want     string // fault code, "" for allowed
	}{
		{admin, "local", ""},
		{identity.Principal{UserID: "u1", Role: identity.RoleUser}, "local", fault.CodePermission},
		{identity.Principal{UserID: "i1", Role: identity.RoleISV}, "local", fault.CodePermission},
		{identity.Principal{UserID: "u1", Role: identity.RoleUser}, "kubernetes", ""},
	} {
		err := checkRuntimeTrust(tt.pr, tt.provider)
		if got := codeOf(err); got != tt.want {
			t.Errorf("%s on %s: %v, want %q", tt.pr.Role, tt.provider, err, tt.want)
		}
	}
}

func TestCheckDeployable(t *testing.T) {
	t.Parallel()
	admin := identity.Principal{UserID: identity.AdminID, Role: identity.RoleAdmin}
	dev := identity.Principal{UserID: "dev", Role: identity.RoleISV}
	other := identity.Principal{UserID: "other", Role: identity.RoleUser}
	prod, test := &runtimes.Runtime{ID: "rt-prod"}, &runtimes.Runtime{ID: "rt-test", Test: true}
	draft := &catalog.Version{ID: "v-draft", Owner: "dev", Status: catalog.StatusDraft}
	shortcut := &catalog.Version{ID: "v-short", Owner: "dev", Status: catalog.StatusActive, Unreviewed: true}
	reviewed := &catalog.Version{ID: "v-ok", Owner: "dev", Status: catalog.StatusActive}
	for _, tt := range []struct {
		name string
		pr   identity.Principal
		v    *catalog.Version
		rt   *runtimes.Runtime
		want string
	}{
		{"reviewed by anyone", other, reviewed, prod, ""},
		{"reviewed by its developer", dev, reviewed, prod, ""},
		{"own draft on a test runtime", dev, draft, test, ""},
		{"own draft elsewhere", dev, draft, prod, fault.CodePermission},
		{"own unreviewed elsewhere", dev, shortcut, prod, fault.CodePermission},
		{"own unreviewed on a test runtime", dev, shortcut, test, ""},
		{"someone else's draft on a test runtime", other, draft, test, fault.CodeInvalid},
		{"someone else's unreviewed", other, shortcut, prod, fault.CodeInvalid},
		{"admin", admin, draft, prod, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkDeployable(tt.pr, tt.v, tt.rt, "version_id")
			if got := codeOf(err); got != tt.want {
				t.Fatalf("checkDeployable = %v, want %q", err, tt.want)
			}
		})
	}
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return fault.Code(err)
}
