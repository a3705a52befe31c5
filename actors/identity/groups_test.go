package identity

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
)

// TestGroups: a group's owner and an admin change it, members read it, others do not see it;
// GroupsOf follows every change through the store's index terms; bad input is refused whole.
func TestGroups(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	s := New(db, idgen.New(nil), func() time.Time { return time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC) })
	admin := Principal{UserID: AdminID, Role: RoleAdmin}
	mk := func(name, role string) Principal {
		u, err := s.CreateUser(ctx, admin, UserInput{Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return Principal{UserID: u.ID, Role: u.Role}
	}
	isv, bob, carol := mk("isv", RoleISV), mk("bob", RoleUser), mk("carol", RoleDeveloper)

	for _, in := range []GroupInput{{Name: ""}, {Name: "a\u202eb"}, {Name: "ok", Members: []string{"usr-nosuch"}}, {Name: "ok", Members: []string{bob.UserID, bob.UserID}}} {
		if _, err := s.CreateGroup(ctx, isv, in); fault.Code(err) != fault.CodeInvalid {
			t.Errorf("CreateGroup(%+v) = %v, want invalid", in, err)
		}
	}
	g, err := s.CreateGroup(ctx, isv, GroupInput{Name: "customers", Members: []string{bob.UserID}})
	if err != nil || g.Owner != isv.UserID || len(g.Members) != 1 {
		t.Fatalf("CreateGroup = %+v, %v", g, err)
	}
	groupsOf := func(p Principal) map[string]bool {
		t.Helper()
		m, err := s.GroupsOf(ctx, p.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if !groupsOf(isv)[g.ID] || !groupsOf(bob)[g.ID] || groupsOf(carol)[g.ID] {
		t.Fatalf("GroupsOf: isv %v bob %v carol %v", groupsOf(isv), groupsOf(bob), groupsOf(carol))
	}
	if _, err := s.GetGroup(ctx, bob, g.ID); err != nil {
		t.Errorf("a member reads the group: %v", err)
	}
	if _, err := s.GetGroup(ctx, carol, g.ID); fault.Code(err) != fault.CodeNotFound {
		t.Errorf("a stranger reads the group: %v", err)
	}
	if _, err := s.AddMember(ctx, bob, g.ID, MemberInput{UserID: carol.UserID}); fault.Code(err) != fault.CodePermission {
		t.Errorf("a member adds a member: %v", err)
	}
	if _, err := s.AddMember(ctx, isv, g.ID, MemberInput{UserID: "usr-nosuch"}); fault.Code(err) != fault.CodeInvalid {
		t.Errorf("adding a user that does not exist: %v", err)
	}
	if _, err := s.AddMember(ctx, isv, g.ID, MemberInput{UserID: carol.UserID}); err != nil || !groupsOf(carol)[g.ID] {
		t.Fatalf("AddMember: %v", err)
	}
	if _, err := s.RemoveMember(ctx, admin, g.ID, bob.UserID); err != nil || groupsOf(bob)[g.ID] {
		t.Fatalf("RemoveMember by an admin: %v (bob's groups %v)", err, groupsOf(bob))
	}
	if _, err := s.RemoveMember(ctx, isv, g.ID, bob.UserID); fault.Code(err) != fault.CodeNotFound {
		t.Errorf("removing a non-member: %v", err)
	}
	page, err := s.ListGroups(ctx, carol, catalog.ListQuery{})
	if err != nil || page.TotalCount != 1 {
		t.Fatalf("carol's groups = %+v, %v", page, err)
	}
	if page, _ := s.ListGroups(ctx, bob, catalog.ListQuery{}); page.TotalCount != 0 {
		t.Errorf("bob still lists %+v", page.Items)
	}
	if err := s.DeleteGroup(ctx, carol, g.ID); fault.Code(err) != fault.CodePermission {
		t.Errorf("a member deletes the group: %v", err)
	}
	if err := s.DeleteGroup(ctx, isv, g.ID); err != nil || groupsOf(carol)[g.ID] || groupsOf(isv)[g.ID] {
		t.Fatalf("DeleteGroup: %v", err)
	}
}
