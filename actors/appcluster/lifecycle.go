package appcluster

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pitrix/pitrix/providers"
)

// step is what an action does to a cluster's status: allowed from, shown while running, and
// reached on success.
type step struct {
	from  []string
	trans string
	to    string
}

var lifecycle = map[string]step{
	providers.ActionCreate:      {nil, TransCreating, StatusActive},
	providers.ActionStart:       {[]string{StatusStopped}, TransStarting, StatusActive},
	providers.ActionStop:        {[]string{StatusActive}, TransStopping, StatusStopped},
	providers.ActionResize:      {[]string{StatusActive}, TransResizing, StatusActive},
	providers.ActionAddNodes:    {[]string{StatusActive}, TransScalingOut, StatusActive},
	providers.ActionDeleteNodes: {[]string{StatusActive}, TransScalingIn, StatusActive},
	providers.ActionUpgrade:     {[]string{StatusActive, StatusFailed}, TransUpgrading, StatusActive},
	providers.ActionRollback:    {[]string{StatusActive, StatusFailed}, TransRollingBack, StatusActive},
	providers.ActionUpdateEnv:   {[]string{StatusActive, StatusFailed}, TransUpdating, StatusActive},
	providers.ActionDelete:      {[]string{StatusActive, StatusStopped, StatusFailed, StatusPending}, TransDeleting, StatusDeleted},
	// Cease purges what delete left: a cluster that is not deleted is refused (409); delete it
	// first (with force if its stop or destroy commands fail).
	providers.ActionCease:   {[]string{StatusDeleted}, TransCeasing, StatusCeased},
	providers.ActionRecover: {[]string{StatusDeleted}, TransRecovering, StatusActive},
	providers.ActionRestart: {[]string{StatusActive, StatusFailed}, TransStarting, StatusActive},
	providers.ActionService: {[]string{StatusActive}, TransUpdating, StatusActive},
}

// Actions lists the actions of POST /v1/clusters/{id}/{action} and DELETE (delete).
func Actions() []string {
	out := make([]string, 0, len(lifecycle))
	for a := range lifecycle {
		if a != providers.ActionCreate {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// Known reports whether action is a lifecycle action.
func Known(action string) bool {
	_, ok := lifecycle[action]
	return ok
}

// Check returns the transition status and the status on success of action taken on a cluster
// in status, or an error saying why the action is not allowed there.
func Check(status, action string) (trans, to string, err error) {
	s, ok := lifecycle[action]
	if !ok {
		return "", "", fmt.Errorf("unknown action %q (one of %s)", action, strings.Join(Actions(), ", "))
	}
	if action == providers.ActionCreate {
		return s.trans, s.to, nil
	}
	for _, f := range s.from {
		if f == status {
			return s.trans, s.to, nil
		}
	}
	return "", "", fmt.Errorf("cannot %s a cluster that is %s (allowed when %s)", action, status, strings.Join(s.from, " or "))
}
