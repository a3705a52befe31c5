package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which scripts/test-deps.sh installs.
const chromiumPath = "/usr/bin/chromium"

// browser is one headless chromium driven over the DevTools protocol, with a fresh profile,
// stopped by the test's cleanup.
type browser struct {
	t   *testing.T
	ctx context.Context
	url string // the server's base URL
}

func newBrowser(t *testing.T, serverURL string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("dashboard browser test skipped: %s is missing (scripts/test-deps.sh installs chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, url: serverURL}
	// The first call starts the browser: no deadline on it, or the deadline would end the browser.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// run runs actions with a deadline, failing the test with what was being done.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		b.t.Fatalf("browser: %s: %v\npage text:\n%s", what, err, body)
	}
}

// text returns the text of the first element matching sel ("" when none).
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, sel))
}

// eval evaluates js in the page and returns its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: eval %s: %v", js, err)
	}
	return v
}

// until waits for a JS condition to be true, showing why not on timeout.
func (b *browser) until(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if eval[bool](b, `(() => { try { return !!(`+cond+`) } catch { return false } })()`) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: %s: timed out at %s; errors: %s; page:\n%s", what, eval[string](b, `location.href`),
				eval[string](b, `JSON.stringify(window.__errors || [])`), eval[string](b, `document.body.innerHTML.slice(0, 3000)`))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shot saves a 1280x800 screenshot to docs/screenshots/NAME.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join(projectRoot(), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fill sets a control's value as typing would (an input event; a change event for a select).
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	v, _ := json.Marshal(value)
	if !eval[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false;
		el.value = %s; el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true })); return true })()`, sel, v)) {
		b.t.Fatalf("browser: fill %s: no such element; page:\n%s", sel, b.text("main"))
	}
}

// unlabeled lists the form controls of the page that have no label (none may).
func (b *browser) unlabeled() []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll('input, select, textarea')]
		.filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
		.map(el => el.outerHTML.slice(0, 80))`)
}

// signIn opens the dashboard and signs in with token.
func (b *browser) signIn(token string, shot bool) {
	b.t.Helper()
	b.run("open the dashboard", chromedp.Navigate(b.url+"/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	if shot {
		b.shot("signin")
	}
	eval[bool](b, `window.__errors = []; addEventListener('error', e => __errors.push(String(e.message) + ' ' + (e.error && e.error.stack)));
		addEventListener('unhandledrejection', e => __errors.push('rejection: ' + String(e.reason && e.reason.stack || e.reason))); true`)
	b.run("sign in", chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=whoami]`)))
	b.until("signed in, on the store", `location.pathname === '/ui/store'`)
}

// TestDashboardVM drives the dashboard in a real chromium against the real binary: sign in,
// find the demo VM app by search, open it, try an invalid value (the field shows the error and
// nothing is created), deploy on the local runtime, watch the job's layers progress live, see the
// cluster active with its nodes, scale out, delete; then sign out. Screenshots of each page go
// to docs/screenshots/.
func TestDashboardVM(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("dashboard browser test skipped: %s is missing (scripts/test-deps.sh installs chromium)", chromiumPath)
	}
	e := newVMEnv(t)
	b := newBrowser(t, e.s.url)
	b.signIn(e.s.token(), true)
	if who := b.text(`[data-testid=whoami]`); !strings.Contains(who, "admin") {
		t.Fatalf("whoami shows %q, want the admin role", who)
	}
	if eval[bool](b, `!!document.querySelector('.boot')`) {
		t.Error("the boot placeholder stays on the page")
	}

	// Store: a category holds hello; search finds the demo VM app and only it.
	ctg := do(t, e.admin, http.MethodPost, "/v1/categories", obj{"name": "Demos", "description": "small demo apps"})
	helloApp := byName(list(t, e.admin, "/v1/apps", nil), "name")["hello"]
	do(t, e.admin, http.MethodPatch, "/v1/apps/"+helloApp["id"].(string), obj{"category_ids": []string{ctg["id"].(string)}})
	b.run("reload the store", chromedp.Navigate(b.url+"/ui/store"))
	b.until("the store lists the demo apps", `document.querySelectorAll('.cards .card').length === 3`)
	b.run("pick the category", chromedp.Click(`//aside//a[text()="Demos"]`))
	b.until("the category shows hello alone", `document.querySelectorAll('.cards .card').length === 1 && document.querySelector('.cards h2').innerText === 'hello'`)
	b.run("all categories", chromedp.Click(`//aside//a[text()="All"]`))
	b.until("the store lists the demo apps again", `document.querySelectorAll('.cards .card').length === 3`)
	b.until("cards show the latest version", `![...document.querySelectorAll('.cards .ver')].some(e => e.innerText === '…')`)
	b.shot("store")
	b.run("search hello", chromedp.SendKeys(chromedp.CSS("#search"), "hello"), chromedp.Click(chromedp.CSS(`form[role=search] button`)))
	b.until("the search shows hello alone", `document.querySelectorAll('.cards .card').length === 1 && document.querySelector('.cards h2').innerText === 'hello'`)
	if tag := b.text(".cards .tag"); tag != "VM" {
		t.Fatalf("hello's card type = %q", tag)
	}

	// App page: versions, runtimes, maintainers.
	b.run("open hello", chromedp.Click(chromedp.CSS(`.cards h2 a`)))
	b.until("the app page shows its version and runtime", `document.querySelector('table[aria-label=Versions]') && document.querySelector('.version-detail .inline li')`)
	if m := b.text(".app-head .meta"); !strings.Contains(m, "Maintainers") || !strings.Contains(m, "demo") {
		t.Fatalf("maintainers and keywords line = %q", m)
	}
	b.shot("app")

	// Deploy form: an invalid count shows its error next to the field and creates nothing.
	b.run("open the deploy form", chromedp.Click(chromedp.CSS(`a.button.primary`)), chromedp.WaitVisible(chromedp.CSS(`#f-cluster_node_count`)))
	b.until("runtimes are loaded", `document.querySelector('#cl-runtime').value !== ''`)
	if u := b.unlabeled(); len(u) > 0 {
		t.Errorf("deploy form controls without a label: %v", u)
	}
	b.run("enter an invalid count", chromedp.SetValue(chromedp.CSS(`#f-cluster_node_count`), ""), chromedp.SendKeys(chromedp.CSS(`#f-cluster_node_count`), "9"))
	b.run("deploy", chromedp.Click(chromedp.CSS(`form[aria-label=Deploy] button[type=submit]`)))
	b.until("the count field shows its error", `document.querySelector('#f-cluster_node_count-error').innerText.includes('at most 3')`)
	b.shot("deploy-invalid")
	if got := list(t, e.admin, "/v1/clusters", nil); len(got) != 0 {
		t.Fatalf("an invalid form created clusters: %v", got)
	}
	// The CLI shows the same form description.
	var out, errb bytes.Buffer
	env := func(k string) string {
		return map[string]string{"PITRIX_SERVER": e.s.url, "PITRIX_TOKEN": e.s.token()}[k]
	}
	if code := run(ctxT(t), []string{"version", "form", e.versions["hello"]}, env, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "cluster.node.count") || !strings.Contains(out.String(), "KEY") {
		t.Fatalf("pitrix version form = %d:\n%s%s", code, out.String(), errb.String())
	}
	// The server refuses the same value with the same rule (the form is not the only guard).
	err := e.admin.Do(t.Context(), http.MethodPost, "/v1/clusters", nil, obj{"name": "x", "version_id": e.versions["hello"], "runtime_id": e.runtimeID,
		"conf": obj{"cluster": obj{"node": obj{"count": 9}}}}, nil)
	if ae := apiErr(t, err, 400, "invalid_argument"); ae.Details["conf.cluster.node.count"] == nil {
		t.Fatalf("server's details for count 9 = %v", ae.Details)
	}

	// A valid deploy: the job page shows the layers as they progress, from the events stream.
	b.run("fix the count", chromedp.SetValue(chromedp.CSS(`#f-cluster_node_count`), ""), chromedp.SendKeys(chromedp.CSS(`#f-cluster_node_count`), "1"))
	b.run("deploy", chromedp.Click(chromedp.CSS(`form[aria-label=Deploy] button[type=submit]`)))
	b.until("the job page opens", `location.pathname.startsWith('/ui/jobs/') && document.querySelector('.layer .task')`)
	jobLoad := b.navigations()
	// Layout shifts (not caused by input) while the layers progress are summed from here.
	eval[bool](b, `window.__shift = 0; new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shift += e.value })
		.observe({ type: 'layout-shift' }); true`)
	unfinished := eval[bool](b, `[...document.querySelectorAll('.task')].some(e => e.dataset.status !== 'successful')`)
	statuses := b.watchTasks()
	b.until("the create job succeeds", `document.querySelector('.job h1 .status').innerText === 'successful'`)
	// A job can end before its page has loaded; the later jobs of this test get their turn, and
	// the cluster page below is checked live with a job started behind its back.
	sawProgress := unfinished || len(statuses) >= 2
	if b.navigations() != jobLoad {
		t.Fatal("the job page reloaded while it progressed")
	}
	t.Logf("task statuses the job page showed, in order: %q", statuses)
	if shift := eval[float64](b, `window.__shift`); shift > 0.01 {
		t.Errorf("live updates shifted the job page's layout by %.3f", shift)
	}
	// Live from the stream, not by polling: the tasks were read once per stream connection.
	if n := b.requests("/tasks"); n > 2 {
		t.Errorf("the job page fetched its tasks %d times: it polls", n)
	}
	// (A stream still open has no resource timing entry: the page marks it live once connected.)
	if !eval[bool](b, `!!document.querySelector('.job .live.on')`) {
		t.Error("the job page's events stream is not connected")
	}
	b.shot("job")
	clusters := list(t, e.admin, "/v1/clusters", nil)
	if len(clusters) != 1 {
		t.Fatalf("clusters after deploy = %v", clusters)
	}
	id := clusters[0]["id"].(string)

	// Cluster page: active, with its node and address.
	b.run("open the cluster", chromedp.Click(chromedp.CSS(`.job .muted a`)))
	b.until("the cluster is active with one node", `document.querySelector('.cluster h1 .status').innerText === 'active' && document.querySelectorAll('table[aria-label=Nodes] tbody tr').length === 1`)
	b.shot("cluster")
	if u := b.unlabeled(); len(u) > 0 {
		t.Errorf("cluster page controls without a label: %v", u)
	}

	// Scale out by one node.
	b.run("scale out", chromedp.Click(`//summary[contains(., "Scale out")]`),
		chromedp.SetValue(chromedp.CSS(`#sc-count`), "1"), chromedp.Click(`//button[text()="Add nodes"]`))
	b.until("the scale-out job page", `location.pathname.startsWith('/ui/jobs/') && document.querySelector('.job h1') && document.querySelector('.job h1').innerText.includes('add_nodes')`)
	if st := b.watchTasks(); len(st) >= 2 || (len(st) == 1 && !strings.HasSuffix(st[0], "|successful")) {
		sawProgress = true
	}
	if !sawProgress {
		t.Error("neither the create nor the scale-out job page showed a task before its job ended")
	}
	b.until("the scale-out job succeeds", `document.querySelector('.job h1 .status').innerText === 'successful'`)
	if n := len(e.nodes(id)["node"]); n != 2 {
		t.Fatalf("nodes after scale out = %d, want 2", n)
	}
	b.run("back to the cluster", chromedp.Click(chromedp.CSS(`.job .muted a`)))
	b.until("the cluster page shows two nodes", `document.querySelectorAll('table[aria-label=Nodes] tbody tr').length === 2`)

	// The admin sees the cluster's Frontgate and both Drones.
	b.run("open frontgates", chromedp.Click(chromedp.CSS(`nav a[href="/ui/admin/frontgates"]`)))
	b.until("the cluster's Frontgate with two Drones", `[...document.querySelectorAll('table[aria-label=Frontgates] tbody tr')].some(r => r.querySelectorAll('td ul li').length === 2 && r.innerText.includes('yes'))`)
	b.shot("admin-frontgates")
	b.run("back to the cluster", chromedp.Navigate(b.url+"/ui/clusters/"+id))
	b.until("the cluster page", `document.querySelectorAll('table[aria-label=Nodes] tbody tr').length === 2`)

	// A job started elsewhere (the API) shows up on the open cluster page by itself.
	clusterDoc := b.navigations()
	jobsBefore := eval[int](b, `document.querySelectorAll('table[aria-label=Jobs] tbody tr').length`)
	svc := do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/service", obj{"service": "greet"})
	b.until("the new job appears and ends on the open page", fmt.Sprintf(`document.querySelectorAll('table[aria-label=Jobs] tbody tr').length > %d && [...document.querySelectorAll('table[aria-label=Jobs] tbody tr')].some(r => r.innerText.includes(%q) && r.innerText.includes('successful'))`, jobsBefore, svc["job_id"].(string)))
	if b.navigations() != clusterDoc {
		t.Fatal("the cluster page reloaded")
	}

	// Update env from the version's form: a bad greeting is refused in place, a good one runs.
	b.run("open the env form", chromedp.Click(`//summary[contains(., "Update env")]`))
	b.until("the greeting field holds the current value", `document.querySelector('#f-env_greeting') && document.querySelector('#f-env_greeting').value === 'hello'`)
	b.fill("#f-env_greeting", "no <tags>")
	b.run("update env", chromedp.Click(`//fieldset[legend="Env"]//button[text()="Update env"]`))
	b.until("the greeting shows its error", `document.querySelector('#f-env_greeting-error').innerText.includes('Must match')`)
	b.fill("#f-env_greeting", "howdy")
	b.run("update env", chromedp.Click(`//fieldset[legend="Env"]//button[text()="Update env"]`))
	b.until("the update_env job succeeds", `location.pathname.startsWith('/ui/jobs/') && document.querySelector('.job h1') && document.querySelector('.job h1').innerText.includes('update_env') && document.querySelector('.job h1 .status').innerText === 'successful'`)
	for _, n := range e.nodes(id)["node"] {
		if got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "etc", "hello.conf")); !strings.Contains(got, "greeting = howdy") {
			t.Fatalf("hello.conf of %s after update_env:\n%s", n["id"], got)
		}
	}

	// Clusters list.
	b.run("open the clusters list", chromedp.Click(chromedp.CSS(`nav a[href="/ui/clusters"]`)))
	b.until("the list shows the cluster", `document.querySelector('table[aria-label=Clusters] tbody tr')`)
	b.shot("clusters")

	// Delete asks first, then runs.
	b.run("open the cluster", chromedp.Click(chromedp.CSS(`table[aria-label=Clusters] tbody a`)))
	b.until("the cluster page", `document.querySelector('.cluster .actions')`)
	b.run("delete", chromedp.Click(`//div[contains(@class,"actions")]//button[text()="Delete"]`))
	b.until("the confirmation asks", `document.querySelector('dialog.confirm[open]')`)
	b.shot("cluster-delete-confirm")
	b.run("confirm", chromedp.Click(chromedp.CSS(`dialog.confirm button.danger`)))
	b.until("the delete job succeeds", `location.pathname.startsWith('/ui/jobs/') && document.querySelector('.job h1') && document.querySelector('.job h1').innerText.includes('delete') && document.querySelector('.job h1 .status').innerText === 'successful'`)
	if c := e.cluster(id); c["status"] != "deleted" {
		t.Fatalf("cluster after delete = %v", c["status"])
	}

	// Repos: index a demo repo now and see its new event.
	b.run("open repos", chromedp.Click(chromedp.CSS(`nav a[href="/ui/repos"]`)))
	b.until("the repos page", `document.querySelector('table[aria-label=Repos]') && document.querySelector('section > details')`)
	b.run("open a repo's events", chromedp.Click(chromedp.CSS(`section > details summary`)))
	b.until("its events", `document.querySelector('section > details table tbody tr')`)
	before := eval[int](b, `document.querySelectorAll('section > details table tbody tr').length`)
	b.run("index now", chromedp.Click(`//section/details[1]//button[text()="Index now"]`))
	b.until("a new index event", fmt.Sprintf(`document.querySelectorAll('section > details table tbody tr').length > %d`, before))

	// Admin pages render for the admin.
	for _, p := range []struct{ path, ready, shot string }{
		{"/ui/runtimes", `table[aria-label=Runtimes]`, "runtimes"},
		{"/ui/repos", `table[aria-label=Repos]`, "repos"},
		{"/ui/admin/review", `section h1`, "review"},
		{"/ui/admin/nodes", `table[aria-label=Nodes]`, "admin-nodes"},
		{"/ui/admin/actors", `table[aria-label=Actors]`, "admin-actors"},
		{"/ui/admin/users", `table[aria-label=Users]`, "admin-users"},
	} {
		b.run("open "+p.path, chromedp.Click(chromedp.CSS(fmt.Sprintf(`nav a[href=%q]`, p.path))))
		b.until(p.path+" renders", fmt.Sprintf(`location.pathname === %q && document.querySelector(%q) && !document.querySelector('[aria-busy]')`, p.path, p.ready))
		b.shot(p.shot)
		if u := b.unlabeled(); len(u) > 0 {
			t.Errorf("%s: controls without a label: %v", p.path, u)
		}
	}
	// The actor inspector shows a live actor's state.
	b.run("open the actors", chromedp.Click(chromedp.CSS(`nav a[href="/ui/admin/actors"]`)))
	b.until("the actors", `document.querySelector('table[aria-label=Actors] tbody button')`)
	b.run("show a state", chromedp.Click(chromedp.CSS(`table[aria-label=Actors] tbody button`)))
	b.until("its state as JSON", `document.querySelector('section > pre.code') && document.querySelector('section > pre.code').innerText.trim().length > 2`)

	// The Redis app: its README rendered, and a deploy form with per-role groups (cpu, memory
	// and counts as choices from config.json's ranges).
	b.run("open redis", chromedp.Navigate(b.url+"/ui/apps/"+byName(list(t, e.admin, "/v1/apps", nil), "name")["redis"]["id"].(string)))
	b.until("its README", `document.querySelector('.readme h1')`)
	b.shot("app-readme")
	b.run("open its deploy form", chromedp.Click(chromedp.CSS(`a.button.primary`)))
	b.until("the role groups", `[...document.querySelectorAll('legend')].some(l => l.innerText === 'Master') && document.querySelector('#f-cluster_master_cpu').tagName === 'SELECT'`)
	b.shot("deploy-vm-roles")

	// Phone width: the store still reads (no horizontal overflow).
	b.run("phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(b.url+"/ui/store"))
	b.until("the store at phone width", `document.querySelectorAll('.cards .card').length === 3`)
	if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the store overflows a 390 px wide screen")
	}
	b.shot("store-phone")
	b.run("desktop width", chromedp.EmulateViewport(1280, 800))

	// Sign out.
	b.run("sign out", chromedp.Click(`//button[text()="Sign out"]`), chromedp.WaitVisible(chromedp.CSS("#token")))
}

// navigations counts full page loads of the tab (performance navigation entries survive only
// within one document, so a reload resets the marker this sets).
func (b *browser) navigations() string {
	b.t.Helper()
	return eval[string](b, `window.__pitrixDoc = window.__pitrixDoc || Math.random().toString(36); window.__pitrixDoc`)
}

// requests counts the page's fetches whose URL contains part since the page loaded.
func (b *browser) requests(part string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`performance.getEntriesByType('resource').filter(e => e.name.includes(%q)).length`, part))
}

// watchTasks records the task statuses the job page shows until the job ends.
func (b *browser) watchTasks() []string {
	b.t.Helper()
	var seen []string
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		st := eval[string](b, `[...document.querySelectorAll('.task')].map(e => e.dataset.status).join(',') + '|' + ((document.querySelector('.job h1 .status')||{}).innerText||'')`)
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if strings.HasSuffix(st, "|successful") || strings.HasSuffix(st, "|failed") {
			return seen
		}
		time.Sleep(50 * time.Millisecond)
	}
	return seen
}

// TestDashboardNonAdmin: a user who is not an admin sees no admin pages, and the API refuses
// them if forced.
func TestDashboardNonAdmin(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("dashboard browser test skipped: %s is missing (scripts/test-deps.sh installs chromium)", chromiumPath)
	}
	s := startServer(t, t.TempDir(), "--demo-src", filepath.Join(projectRoot(), "demo", "packages"))
	admin := s.client(s.token())
	u := do(t, admin, http.MethodPost, "/v1/users", obj{"name": "ann", "email": "ann@example.invalid", "role": "user"})
	tok := do(t, admin, http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", obj{"name": "web", "ttl_days": 1})
	userTok := tok["token"].(string)
	// The form and README routes, as any user sees them.
	eventually(t, "demo apps are listed", func() (bool, string) {
		got := list(t, admin, "/v1/apps", nil)
		return len(got) == 3, fmt.Sprint(got)
	})
	apps := byName(list(t, admin, "/v1/apps", nil), "name")
	helloV, redisV := apps["hello"]["latest_version_id"].(string), apps["redis"]["latest_version_id"].(string)
	userC0 := s.client(userTok)
	f := do(t, userC0, http.MethodGet, "/v1/app_versions/"+helloV+"/form?lang=zh-CN", nil)
	if f["app_type"] != "vm" || f["lang"] != "zh-CN" || len(f["fields"].([]any)) != 3 {
		t.Fatalf("hello's form = %v", f)
	}
	apiErr(t, userC0.Do(t.Context(), http.MethodGet, "/v1/app_versions/"+helloV+"/form", url.Values{"lang": {"fr"}}, nil, nil), 400, "invalid_argument")
	if html := do(t, userC0, http.MethodGet, "/v1/app_versions/"+redisV+"/readme", nil)["html"].(string); !strings.Contains(html, "<h1") {
		t.Fatalf("redis README html = %q", html)
	}
	if html := do(t, userC0, http.MethodGet, "/v1/app_versions/"+helloV+"/readme", nil)["html"]; html != "" {
		t.Fatalf("hello has no README, got %q", html)
	}

	b := newBrowser(t, s.url)
	b.signIn(userTok, false)
	if who := b.text(`[data-testid=whoami]`); !strings.Contains(who, "user") {
		t.Fatalf("whoami shows %q", who)
	}
	// Keyboard: the first Tab reaches the skip link, Enter on it moves focus to the content.
	b.run("tab", chromedp.KeyEvent("\t"))
	if got := eval[string](b, `document.activeElement.className + ' ' + document.activeElement.innerText`); got != "skip Skip to content" {
		t.Errorf("first Tab focuses %q, want the skip link", got)
	}
	b.run("enter", chromedp.KeyEvent("\r"))
	b.until("focus on the content", `document.activeElement && document.activeElement.id === 'main'`)
	adminLinks := eval[int](b, `document.querySelectorAll('nav a[href^="/ui/admin/"]').length`)
	if adminLinks != 0 {
		t.Fatalf("a user sees %d admin links", adminLinks)
	}
	b.run("force an admin page", chromedp.Navigate(s.url+"/ui/admin/nodes"))
	b.until("the page says it is for admins", `document.querySelector('main h1') && document.querySelector('main h1').innerText === 'Not allowed'`)
	b.shot("non-admin")
	userC := s.client(userTok)
	for _, p := range []string{"/v1/admin/nodes", "/v1/admin/actors", "/v1/users", "/v1/frontgates"} {
		apiErr(t, userC.Do(t.Context(), http.MethodGet, p, nil, nil, nil), 403, "permission_denied")
	}
	// A revoked token sends the page back to sign-in with a clear message.
	do(t, admin, http.MethodDelete, "/v1/tokens/"+tok["id"].(string), nil)
	eventually(t, "the revoked token fails", func() (bool, string) {
		err := userC.Do(t.Context(), http.MethodGet, "/v1/whoami", nil, nil, nil)
		return err != nil, fmt.Sprint(err)
	})
	b.run("open clusters", chromedp.Click(chromedp.CSS(`nav a[href="/ui/clusters"]`)))
	b.until("back at sign-in, told why", `document.querySelector('#token') && document.body.innerText.includes('no longer valid')`)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDashboardHelm is the deploy flow for the demo Helm chart on the test Kubernetes: the
// values form comes from values.schema.json (an invalid replica count is shown next to its field
// and creates nothing), the YAML editor holds values.yaml, and the chart deploys and is deleted.
func TestDashboardHelm(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("dashboard browser test skipped: %s is missing (scripts/test-deps.sh installs chromium)", chromiumPath)
	}
	e := newHelmEnv(t, t.TempDir())
	b := newBrowser(t, e.s.url)
	b.signIn(e.s.token(), false)

	// A kubeconfig credential and a runtime made on the Runtimes page.
	b.run("open runtimes", chromedp.Click(chromedp.CSS(`nav a[href="/ui/runtimes"]`)))
	b.until("the runtimes page", `document.querySelector('form[aria-label="Upload kubeconfig"]') && document.querySelectorAll('#rt-prov option').length > 1`)
	b.fill("#cr-name", "ui-k8s")
	b.fill("#cr-kube", e.kubeconfig)
	b.run("create the credential", chromedp.Click(`//button[text()="Create credential"]`))
	b.until("the credential is listed", `[...document.querySelectorAll('table[aria-label=Credentials] tbody tr')].some(r => r.innerText.includes('ui-k8s'))`)
	b.run("check it", chromedp.Click(`//table[@aria-label="Credentials"]//tr[contains(., "ui-k8s")]//button[text()="Check"]`))
	b.until("the check passes", `[...document.querySelectorAll('table[aria-label=Credentials] tbody tr')].some(r => r.innerText.includes('ui-k8s') && r.innerText.includes('ok'))`)
	var credID string
	for _, c := range list(t, e.admin, "/v1/runtime_credentials", nil) {
		if c["name"] == "ui-k8s" {
			credID = c["id"].(string)
		}
	}
	b.fill("#rt-name", "ui-k8s-runtime")
	b.fill("#rt-prov", "kubernetes")
	b.fill("#rt-zone", e.ns)
	b.fill("#rt-cred", credID)
	b.run("create the runtime", chromedp.Click(`//button[text()="Create runtime"]`))
	b.until("the runtime is listed", `[...document.querySelectorAll('table[aria-label=Runtimes] tbody tr')].some(r => r.innerText.includes('ui-k8s-runtime') && r.innerText.includes('kubernetes'))`)
	b.shot("runtimes-helm")

	b.run("open the store", chromedp.Click(chromedp.CSS(`nav a[href="/ui/store"]`)))
	b.run("search web", chromedp.SendKeys(chromedp.CSS("#search"), "web"), chromedp.Click(chromedp.CSS(`form[role=search] button`)))
	b.until("the chart's card", `document.querySelectorAll('.cards .card').length === 1 && document.querySelector('.cards .tag').innerText === 'Helm'`)
	b.run("open web", chromedp.Click(chromedp.CSS(`.cards h2 a`)))
	b.until("its versions and the Kubernetes runtime", `document.querySelector('table[aria-label=Versions]') && document.querySelector('.version-detail .inline li')`)
	b.run("open the deploy form", chromedp.Click(chromedp.CSS(`a.button.primary`)), chromedp.WaitVisible(chromedp.CSS(`#f-replicaCount`)))
	b.until("runtimes are loaded", `document.querySelector('#cl-runtime').value !== ''`)
	// The schema's fields: enum as a select, defaults from values.yaml.
	if got := eval[string](b, `document.querySelector('#f-image_pullPolicy').tagName + ' ' + document.querySelector('#f-image_pullPolicy').value + ' ' + document.querySelector('#f-image_tag').value`); got != "SELECT IfNotPresent 1.27" {
		t.Fatalf("pullPolicy and tag fields = %q", got)
	}
	b.run("enter an invalid replica count", chromedp.SetValue(chromedp.CSS(`#f-replicaCount`), ""), chromedp.SendKeys(chromedp.CSS(`#f-replicaCount`), "-3"))
	b.run("deploy", chromedp.Click(chromedp.CSS(`form[aria-label=Deploy] button[type=submit]`)))
	b.until("the replica count shows its error", `document.querySelector('#f-replicaCount-error').innerText.includes('at least 0')`)
	b.shot("deploy-helm-invalid")
	if got := list(t, e.admin, "/v1/clusters", nil); len(got) != 0 {
		t.Fatalf("an invalid form created clusters: %v", got)
	}
	// The YAML editor holds the chart's values.yaml.
	b.run("open the YAML editor", chromedp.Click(`//label[contains(., "Edit values as YAML")]/input`))
	b.until("values.yaml in the editor", `document.querySelector('#values-yaml').value.includes('replicaCount: 1')`)
	b.shot("deploy-helm-yaml")
	// Values the form cannot check are refused by the server, next to the editor.
	b.fill("#values-yaml", "replicaCount: 1\nimage:\n  repository: nginx\n  extra: 1\n")
	b.run("deploy the YAML", chromedp.Click(chromedp.CSS(`form[aria-label=Deploy] button[type=submit]`)))
	b.until("the server's error shows at the editor", `document.querySelector('#values-yaml-error').innerText.includes('image')`)
	if got := list(t, e.admin, "/v1/clusters", nil); len(got) != 0 {
		t.Fatalf("invalid YAML values created clusters: %v", got)
	}
	b.run("back to the form", chromedp.Click(`//label[contains(., "Edit values as YAML")]/input`))
	b.run("a valid count", chromedp.SetValue(chromedp.CSS(`#f-replicaCount`), ""), chromedp.SendKeys(chromedp.CSS(`#f-replicaCount`), "2"))
	b.run("deploy", chromedp.Click(chromedp.CSS(`form[aria-label=Deploy] button[type=submit]`)))
	b.until("the job page opens", `location.pathname.startsWith('/ui/jobs/') && document.querySelector('.layer .task')`)
	b.until("the install job succeeds", `document.querySelector('.job h1 .status').innerText === 'successful'`)
	b.shot("job-helm")
	clusters := list(t, e.admin, "/v1/clusters", nil)
	if len(clusters) != 1 {
		t.Fatalf("clusters after deploy = %v", clusters)
	}
	id := clusters[0]["id"].(string)
	if r, ready, _, ok := e.deployment(t, id); !ok || r != 2 || ready != 2 {
		t.Fatalf("deployment on the API server: replicas %d ready %d found %v", r, ready, ok)
	}
	b.run("open the cluster", chromedp.Click(chromedp.CSS(`.job .muted a`)))
	b.until("the release is active", `document.querySelector('.cluster h1 .status').innerText === 'active'`)
	b.shot("cluster-helm")
	b.run("delete", chromedp.Click(`//div[contains(@class,"actions")]//button[text()="Delete"]`))
	b.until("the confirmation asks", `document.querySelector('dialog.confirm[open]')`)
	b.run("confirm", chromedp.Click(chromedp.CSS(`dialog.confirm button.danger`)))
	b.until("the delete job succeeds", `location.pathname.startsWith('/ui/jobs/') && document.querySelector('.job h1') && document.querySelector('.job h1').innerText.includes('delete') && document.querySelector('.job h1 .status').innerText === 'successful'`)
	if c := do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil); c["status"] != "deleted" {
		t.Fatalf("release after delete = %v", c["status"])
	}
}

// TestDashboardReview: a developer's version is submitted from its app page (whose README is
// rendered and sanitized), an admin rejects it with a message from the review queue, and the
// version page's history shows the step.
func TestDashboardReview(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("dashboard browser test skipped: %s is missing (scripts/test-deps.sh installs chromium)", chromiumPath)
	}
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	u := do(t, admin, http.MethodPost, "/v1/users", obj{"name": "dev", "email": "dev@example.invalid", "role": "isv"})
	devTok := do(t, admin, http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", obj{"name": "web", "ttl_days": 1})["token"].(string)
	dev := s.client(devTok)
	files := vmFiles("greeter", "1.0.0", "a greeter to review")
	files["README.md"] = []byte("# Greeter\n\nSays **hello**.\n\n<script>window.pwned = 1</script>\n\n[more](javascript:alert(1))\n")
	var up struct{ App, Version obj }
	if err := dev.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}}, bytes.NewReader(tgz(t, "greeter", files)), &up); err != nil {
		t.Fatal(err)
	}
	appID, vid := up.App["id"].(string), up.Version["id"].(string)

	b := newBrowser(t, s.url)
	b.signIn(devTok, false)
	b.run("open the app", chromedp.Navigate(s.url+"/ui/apps/"+appID))
	b.until("the README is rendered", `document.querySelector('.readme strong') && document.querySelector('.readme strong').innerText === 'hello'`)
	if got := eval[string](b, `[!!document.querySelector('.readme script'), window.pwned === 1, !!document.querySelector('.readme a[href^="javascript"]')].join()`); got != "false,false,false" {
		t.Fatalf("README not sanitized (script element, script ran, javascript: link) = %s", got)
	}
	b.run("submit for review", chromedp.SendKeys(chromedp.CSS(`#msg-`+vid), "please review"), chromedp.Click(`//form[contains(@class,"review")]//button[text()="submit"]`))
	eventually(t, "the version is submitted", func() (bool, string) {
		v := do(t, admin, http.MethodGet, "/v1/app_versions/"+vid, nil)
		return v["status"] == "submitted", fmt.Sprint(v["status"])
	})
	b.run("sign out", chromedp.Click(`//button[text()="Sign out"]`), chromedp.WaitVisible(chromedp.CSS("#token")))

	b.signIn(s.token(), false)
	b.run("open the review queue", chromedp.Click(chromedp.CSS(`nav a[href="/ui/admin/review"]`)))
	b.until("the queue shows the version", `document.querySelector('table[aria-label="Review queue"] tbody tr')`)
	b.shot("review-queue")
	b.run("reject with a message", chromedp.SendKeys(chromedp.CSS(`#rv-`+vid), "needs a license"),
		chromedp.Click(`//table[@aria-label="Review queue"]//button[text()="Reject"]`))
	b.until("the queue is empty", `document.querySelector('.empty') && document.querySelector('.empty').innerText.includes('Nothing waits')`)
	b.run("open the app", chromedp.Navigate(s.url+"/ui/apps/"+appID))
	b.until("the history shows the rejection", `[...document.querySelectorAll('table[aria-label="Review history"] tbody tr')].some(r => r.innerText.includes('reject') && r.innerText.includes('needs a license'))`)
	audits := list(t, admin, "/v1/app_versions/"+vid+"/audits", nil)
	if len(audits) != 2 || audits[0]["action"] != "reject" || audits[0]["message"] != "needs a license" {
		t.Fatalf("audits = %v", audits)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDashboardFailedJob: a job whose start command fails shows the failed task's error, and
// the retry button runs the job again from its failed task.
func TestDashboardFailedJob(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("dashboard browser test skipped: %s is missing (scripts/test-deps.sh installs chromium)", chromiumPath)
	}
	e := newVMEnv(t)
	files := vmFiles("failing", "1.0.0", "a start command that fails")
	files["cluster.json.tmpl"] = []byte(`{"name": "{{cluster.name}}", "nodes": [{"container": {"type": "process"}, "count": {{cluster.node.count}},
  "services": {"start": {"cmd": "echo 'no luck today' >&2; exit 3"}}}]}`)
	var up struct{ App, Version obj }
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}}, bytes.NewReader(tgz(t, "failing", files)), &up); err != nil {
		t.Fatal(err)
	}
	vid := up.Version["id"].(string)
	for _, step := range []string{"submit", "pass", "release"} {
		do(t, e.admin, http.MethodPost, "/v1/app_versions/"+vid+"/"+step, obj{"message": step})
	}
	acc := do(t, e.admin, http.MethodPost, "/v1/clusters", obj{"name": "failing", "version_id": vid, "runtime_id": e.runtimeID, "conf": obj{}})
	jobID, clusterID := acc["job_id"].(string), acc["cluster_id"].(string)

	b := newBrowser(t, e.s.url)
	b.signIn(e.s.token(), false)
	b.run("open the job", chromedp.Navigate(e.s.url+"/ui/jobs/"+jobID))
	b.until("the job fails and shows the failed task's error", `document.querySelector('.job h1 .status').innerText === 'failed' && document.querySelector('.task[data-status=failed] .task-error')`)
	b.shot("job-failed")
	failed := ""
	for _, tk := range list(t, e.admin, "/v1/jobs/"+jobID+"/tasks", nil) {
		if tk["status"] == "failed" {
			failed = tk["id"].(string)
		}
	}
	if failed == "" {
		t.Fatal("no failed task")
	}
	b.run("retry", chromedp.Click(`//button[text()="Retry failed tasks"]`))
	eventually(t, "the failed task runs again", func() (bool, string) {
		jobs := list(t, e.admin, "/v1/jobs", url.Values{"cluster_id": {clusterID}})
		for _, tk := range list(t, e.admin, "/v1/jobs/"+jobID+"/tasks", nil) {
			if tk["id"] == failed && (tk["run"] != nil && tk["run"].(float64) >= 1 || tk["attempts"].(float64) > 1) {
				return true, ""
			}
		}
		return len(jobs) > 1, fmt.Sprint(jobs)
	})
	b.until("the page shows the job failed again, live", `document.querySelector('.job h1 .status').innerText === 'failed'`)
	waitJob(t, e.admin, do(t, e.admin, http.MethodDelete, "/v1/clusters/"+clusterID, nil)["job_id"].(string))
}
