package catalog

import "testing"

func TestDemoteUnreviewed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         Version
		changed    bool
		wantStatus string
	}{
		{"reviewed active stays", Version{Status: StatusActive}, false, StatusActive},
		{"unreviewed active", Version{Status: StatusActive, Unreviewed: true}, true, StatusDraft},
		{"unreviewed passed", Version{Status: StatusPassed, Unreviewed: true}, true, StatusDraft},
		{"unreviewed suspended", Version{Status: StatusSuspended, Unreviewed: true}, true, StatusDraft},
		{"unreviewed draft only loses the mark", Version{Status: StatusDraft, Unreviewed: true}, true, StatusDraft},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := tt.in
			if got := DemoteUnreviewed(&v); got != tt.changed || v.Status != tt.wantStatus || v.Unreviewed {
				t.Fatalf("DemoteUnreviewed = %v, status %s unreviewed %v; want %v, %s, false", got, v.Status, v.Unreviewed, tt.changed, tt.wantStatus)
			}
		})
	}
}

func TestVersionVisible(t *testing.T) {
	t.Parallel()
	active := Version{Status: StatusActive}
	if !active.Visible(true) || active.Visible(false) {
		t.Error("a reviewed active version is visible in public repos only")
	}
	for _, v := range []Version{{Status: StatusActive, Unreviewed: true}, {Status: StatusActive, Removed: true}, {Status: StatusPassed}} {
		if v.Visible(true) {
			t.Errorf("%+v is visible beyond its owner", v)
		}
	}
}
