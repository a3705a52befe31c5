package catalog

import "fmt"

// Review actions of POST /v1/app_versions/{id}/{action}.
const (
	ActionSubmit  = "submit"
	ActionCancel  = "cancel"
	ActionPass    = "pass"
	ActionReject  = "reject"
	ActionRelease = "release"
	ActionSuspend = "suspend"
	ActionRecover = "recover"
)

// Who may take a review action.
const (
	ByOwner = "owner" // the version's owner (or an admin)
	ByAdmin = "admin" // an admin only
)

// transition is one edge of the review state machine.
type transition struct {
	from []string
	to   string
	by   string
}

var reviewEdges = map[string]transition{
	ActionSubmit:  {from: []string{StatusDraft, StatusRejected}, to: StatusSubmitted, by: ByOwner},
	ActionCancel:  {from: []string{StatusSubmitted}, to: StatusDraft, by: ByOwner},
	ActionPass:    {from: []string{StatusSubmitted}, to: StatusPassed, by: ByAdmin},
	ActionReject:  {from: []string{StatusSubmitted}, to: StatusRejected, by: ByAdmin},
	ActionRelease: {from: []string{StatusPassed}, to: StatusActive, by: ByOwner},
	ActionSuspend: {from: []string{StatusActive}, to: StatusSuspended, by: ByAdmin},
	ActionRecover: {from: []string{StatusSuspended}, to: StatusActive, by: ByAdmin},
}

// ReviewStep is the outcome of applying a review action to a status.
type ReviewStep struct {
	To string // the new status
	By string // ByOwner or ByAdmin: who may take it
}

// ReviewActions lists the known actions.
func ReviewActions() []string {
	return []string{ActionSubmit, ActionCancel, ActionPass, ActionReject, ActionRelease, ActionSuspend, ActionRecover}
}

// Review returns the step that action takes from status, or an error naming why it is not
// allowed: an unknown action, or an action not allowed in that status.
func Review(status, action string) (ReviewStep, error) {
	e, ok := reviewEdges[action]
	if !ok {
		return ReviewStep{}, fmt.Errorf("unknown review action %q", action)
	}
	for _, f := range e.from {
		if f == status {
			return ReviewStep{To: e.to, By: e.by}, nil
		}
	}
	return ReviewStep{}, fmt.Errorf("cannot %s a version in status %q (allowed from %v)", action, status, e.from)
}

// DemoteUnreviewed sends a version that reached passed, active or suspended without an
// admin's review back to draft, so that publishing its repo never publishes it; it reports
// whether v changed. The owner then takes it through review like any public version.
func DemoteUnreviewed(v *Version) bool {
	if !v.Unreviewed {
		return false
	}
	v.Unreviewed = false
	switch v.Status {
	case StatusPassed, StatusActive, StatusSuspended:
		v.Status = StatusDraft
	}
	return true
}

// Visible reports whether a version may be seen beyond its owner in a repo of the given
// visibility (uploads to the store count as public): it is active, reviewed and still in
// its repo's index.
func (v *Version) Visible(repoPublic bool) bool {
	return repoPublic && v.Status == StatusActive && !v.Unreviewed && !v.Removed
}
