package catalog

import "testing"

func TestReview(t *testing.T) {
	cases := []struct {
		name, from, action, to, by string
		wantErr                    bool
	}{
		{"submit draft", StatusDraft, ActionSubmit, StatusSubmitted, ByOwner, false},
		{"resubmit rejected", StatusRejected, ActionSubmit, StatusSubmitted, ByOwner, false},
		{"cancel submitted", StatusSubmitted, ActionCancel, StatusDraft, ByOwner, false},
		{"pass submitted", StatusSubmitted, ActionPass, StatusPassed, ByAdmin, false},
		{"reject submitted", StatusSubmitted, ActionReject, StatusRejected, ByAdmin, false},
		{"release passed", StatusPassed, ActionRelease, StatusActive, ByOwner, false},
		{"suspend active", StatusActive, ActionSuspend, StatusSuspended, ByAdmin, false},
		{"recover suspended", StatusSuspended, ActionRecover, StatusActive, ByAdmin, false},
		{"pass draft", StatusDraft, ActionPass, "", "", true},
		{"release submitted", StatusSubmitted, ActionRelease, "", "", true},
		{"unknown action", StatusDraft, "approve", "", "", true},
		{"submit deleted", StatusDeleted, ActionSubmit, "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			step, err := Review(c.from, c.action)
			if (err != nil) != c.wantErr {
				t.Fatalf("Review(%q, %q) err = %v, wantErr %v", c.from, c.action, err, c.wantErr)
			}
			if step.To != c.to || step.By != c.by {
				t.Fatalf("Review(%q, %q) = %+v, want to %q by %q", c.from, c.action, step, c.to, c.by)
			}
		})
	}
}

func TestSelectorsMatch(t *testing.T) {
	cases := []struct {
		name      string
		selectors map[string][]string
		labels    map[string]string
		want      bool
	}{
		{"no selectors", nil, map[string]string{"env": "dev"}, true},
		{"match", map[string][]string{"env": {"dev", "test"}}, map[string]string{"env": "test"}, true},
		{"wrong value", map[string][]string{"env": {"prod"}}, map[string]string{"env": "dev"}, false},
		{"missing label", map[string][]string{"env": {"prod"}}, nil, false},
		{"two selectors one fails", map[string][]string{"env": {"dev"}, "zone": {"a"}}, map[string]string{"env": "dev", "zone": "b"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SelectorsMatch(c.selectors, c.labels); got != c.want {
				t.Fatalf("SelectorsMatch = %v, want %v", got, c.want)
			}
		})
	}
	if !ProviderAllowed([]string{"local", "kubernetes"}, "kubernetes") || ProviderAllowed([]string{"local"}, "kubernetes") {
		t.Fatal("ProviderAllowed is wrong")
	}
	if AppTypeOf([]string{"kubernetes"}) != AppTypeHelm || AppTypeOf([]string{"local"}) != AppTypeVM {
		t.Fatal("AppTypeOf is wrong")
	}
}
