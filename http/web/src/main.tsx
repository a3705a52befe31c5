// main.tsx: the shell (header, sign-in state, navigation) and the route table.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import './style.css'
import { api, signedOut, token, type Whoami } from './api'
import { base, interceptLinks, match, navigate, useLocation } from './router'
import { Boundary, ErrorBox } from './ui'
import { SignIn } from './pages/signin'
import { Store } from './pages/store'
import { AppPage } from './pages/app'
import { Deploy } from './pages/deploy'
import { Clusters } from './pages/clusters'
import { ClusterPage } from './pages/cluster'
import { JobPage } from './pages/job'
import { AdminNodes } from './pages/admin/nodes'
import { AdminActors } from './pages/admin/actors'
import { AdminFrontgates } from './pages/admin/frontgates'
import { AdminUsers } from './pages/admin/users'
import { Runtimes } from './pages/admin/runtimes'
import { Repos } from './pages/admin/repos'
import { Review } from './pages/admin/review'
import { getLang, setLang, type Lang } from './lang'

type Page = (p: { params: Record<string, string>; me: Whoami; query: URLSearchParams }) => preact.JSX.Element
const routes: [string, Page, boolean][] = [
  ['/ui/store', Store, false],
  ['/ui/apps/:id', AppPage, false],
  ['/ui/deploy/:version', Deploy, false],
  ['/ui/clusters', Clusters, false],
  ['/ui/clusters/:id', ClusterPage, false],
  ['/ui/jobs/:id', JobPage, false],
  ['/ui/runtimes', Runtimes, false],
  ['/ui/repos', Repos, false],
  ['/ui/admin/review', Review, true],
  ['/ui/admin/nodes', AdminNodes, true],
  ['/ui/admin/actors', AdminActors, true],
  ['/ui/admin/frontgates', AdminFrontgates, true],
  ['/ui/admin/users', AdminUsers, true],
]

function Nav({ me, path }: { me: Whoami; path: string }) {
  const link = (to: string, label: string) => (
    <a href={to} aria-current={path === to || path.startsWith(to + '/') ? 'page' : undefined}>{label}</a>
  )
  return (
    <nav aria-label="Main">
      {link('/ui/store', 'Store')}
      {link('/ui/clusters', 'Clusters')}
      {link('/ui/runtimes', 'Runtimes')}
      {link('/ui/repos', 'Repos')}
      {me.is_admin && <>
        {link('/ui/admin/review', 'Review')}
        {link('/ui/admin/nodes', 'Nodes')}
        {link('/ui/admin/actors', 'Actors')}
        {link('/ui/admin/frontgates', 'Frontgates')}
        {link('/ui/admin/users', 'Users')}
      </>}
    </nav>
  )
}

function Shell() {
  const { path, query } = useLocation()
  const [me, setMe] = useState<Whoami | null>(null)
  const [err, setErr] = useState<unknown>(null)
  const [checked, setChecked] = useState(false)
  const [lang, setLangState] = useState<Lang>(getLang())

  const check = () => {
    if (!token.get()) { setMe(null); setChecked(true); return }
    api.whoami().then(w => { setMe(w); setErr(null) }, e => { setMe(null); setErr(e); token.clear() }).finally(() => setChecked(true))
  }
  useEffect(check, [])
  useEffect(() => {
    const out = () => { setMe(null); setErr(new Error('Your token is no longer valid: sign in again.')) }
    addEventListener(signedOut, out)
    return () => removeEventListener(signedOut, out)
  }, [])
  useEffect(() => {
    // The location now, not the render's: a click may have navigated since.
    const now = location.pathname
    if (token.get() && (now === '/' || now === base || now === base + '/')) navigate(base + '/store', true)
  }, [checked, me, path])

  // With a token the page starts loading at once, while who-am-I is still on its way (its data
  // requests run beside it); only admin pages wait for the answer.
  const pending = !checked && token.get() !== ''
  if (!checked && !pending) return <p class="boot">Loading…</p>
  const signOut = () => { token.clear(); setMe(null); navigate(base + '/store') }
  if (!me && !pending) {
    return <SignIn error={err} onSignedIn={(w) => { setMe(w); setErr(null) }} />
  }
  const who: Whoami = me ?? { user_id: '', role: '', is_admin: false }
  let body: preact.JSX.Element = <section><h1>Not found</h1><p>No page at {path}. <a href="/ui/store">Go to the store</a>.</p></section>
  for (const [pattern, Comp, admin] of routes) {
    const params = match(pattern, path)
    if (!params) continue
    body = admin && pending
      ? <p class="muted" aria-busy="true">Loading…</p>
      : admin && !who.is_admin
        ? <section><h1>Not allowed</h1><p>This page is for admins; you are signed in as {who.role}.</p></section>
        : <Comp params={params} me={who} query={query} />
    break
  }
  return (
    <>
      <a class="skip" href="#main" onClick={e => { e.preventDefault(); document.getElementById('main')?.focus() }}>Skip to content</a>
      <header>
        <a class="brand" href="/ui/store">Pitrix</a>
        <Nav me={who} path={path} />
        <div class="who">
          <label class="sr" for="lang">Language</label>
          <select id="lang" value={lang} onChange={e => { const l = (e.target as HTMLSelectElement).value as Lang; setLang(l); setLangState(l) }}>
            <option value="en">English</option>
            <option value="zh-CN">中文</option>
          </select>
          {me && <span data-testid="whoami" title={me.user_id}>{me.user_id} <span class="role">{me.role}</span></span>}
          <button type="button" onClick={signOut}>Sign out</button>
        </div>
      </header>
      <ErrorBox error={err} />
      <main id="main" tabIndex={-1} key={lang}><Boundary key={path}>{body}</Boundary></main>
    </>
  )
}

interceptLinks()
const root = document.getElementById('app')!
root.textContent = '' // the static "Loading Pitrix…" of index.html: Preact 11 renders beside existing children
render(<Shell />, root)
