package appcluster

import "testing"

func TestCheck(t *testing.T) {
	cases := []struct {
		status, action, trans, to string
		ok                        bool
	}{
		{"", "create", TransCreating, StatusActive, true},
		{StatusActive, "stop", TransStopping, StatusStopped, true},
		{StatusStopped, "stop", "", "", false},
		{StatusStopped, "start", TransStarting, StatusActive, true},
		{StatusFailed, "upgrade", TransUpgrading, StatusActive, true},
		{StatusStopped, "upgrade", "", "", false},
		{StatusActive, "delete", TransDeleting, StatusDeleted, true},
		{StatusDeleted, "delete", "", "", false},
		{StatusDeleted, "recover", TransRecovering, StatusActive, true},
		{StatusActive, "recover", "", "", false},
		{StatusDeleted, "cease", TransCeasing, StatusCeased, true},
		{StatusCeased, "cease", "", "", false},
		{StatusActive, "cease", "", "", false},
		{StatusFailed, "cease", "", "", false},
		{StatusActive, "explode", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.status+"/"+c.action, func(t *testing.T) {
			trans, to, err := Check(c.status, c.action)
			if (err == nil) != c.ok || trans != c.trans || to != c.to {
				t.Fatalf("Check(%q, %q) = %q, %q, %v", c.status, c.action, trans, to, err)
			}
		})
	}
	if len(Actions()) != 13 || Known("create") != true || Known("x") {
		t.Fatalf("Actions = %v", Actions())
	}
	// Live clusters are found by their runtime; deleted and ceased ones are not live.
	c := Cluster{RuntimeID: "runtime-1", Status: StatusActive}
	if !has(c.Terms(), "live=true") {
		t.Fatal("an active cluster is not live")
	}
	c.Status = StatusCeased
	if has(c.Terms(), "live=true") {
		t.Fatal("a ceased cluster is live")
	}
}

func has(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
