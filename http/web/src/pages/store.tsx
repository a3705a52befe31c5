// pages/store.tsx: the app store — categories, search and a card per app.
import { useEffect, useState } from 'preact/hooks'
import { api, type App } from '../api'
import { navigate } from '../router'
import { Empty, Loaded, useLoad } from '../ui'
import { Icon } from './icon'

function Card({ app }: { app: App }) {
  const v = useLoad(() => (app.latest_version_id ? api.version(app.latest_version_id) : Promise.resolve(null)), [app.latest_version_id])
  return (
    <li class="card">
      <Icon app={app} versionID={app.latest_version_id} />
      <div>
        <h2><a href={'/ui/apps/' + encodeURIComponent(app.id)}>{app.name}</a></h2>
        <p class="desc">{app.description || 'No description.'}</p>
        <p class="meta">
          <span class={'tag t-' + app.type}>{app.type === 'helm' ? 'Helm' : 'VM'}</span>
          <span class="ver">{v.data ? 'v' + v.data.name : app.latest_version_id ? '…' : 'no version'}</span>
        </p>
      </div>
    </li>
  )
}

export function Store({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? ''
  const cat = query.get('category') ?? ''
  const [text, setText] = useState(q)
  useEffect(() => setText(q), [q])
  const cats = useLoad(() => api.categories(), [])
  const apps = useLoad(() => api.apps({ q, category_id: cat, limit: 200 }), [q, cat])
  // A User Timing mark once the first list is on screen: bench/webbench reads it as the store's
  // time to interactive (handlers are attached when Preact renders).
  useEffect(() => { if (apps.data && !performance.getEntriesByName('pitrix:store-ready').length) performance.mark('pitrix:store-ready') }, [apps.data])
  const go = (nq: string, nc: string) => {
    const s = new URLSearchParams()
    if (nq) s.set('q', nq)
    if (nc) s.set('category', nc)
    navigate('/ui/store' + (s.toString() ? '?' + s : ''), true)
  }
  return (
    <section class="store">
      <h1>App store</h1>
      <div class="store-grid">
        <aside aria-label="Categories">
          <h2 class="small">Categories</h2>
          <ul class="cats">
            <li><a href="/ui/store" aria-current={!cat ? 'true' : undefined} onClick={e => { e.preventDefault(); go(q, '') }}>All</a></li>
            {(cats.data?.items ?? []).map(c => (
              <li key={c.id}><a href={'/ui/store?category=' + encodeURIComponent(c.id)} aria-current={cat === c.id ? 'true' : undefined}
                onClick={e => { e.preventDefault(); go(q, c.id) }}>{c.name}</a></li>
            ))}
          </ul>
        </aside>
        <div>
          <form role="search" class="row" onSubmit={e => { e.preventDefault(); go(text.trim(), cat) }}>
            <label class="sr" for="search">Search apps</label>
            <input id="search" type="search" placeholder="Search apps" value={text} onInput={e => setText((e.target as HTMLInputElement).value)} />
            <button type="submit">Search</button>
          </form>
          <Loaded s={apps}>{p => p.items.length === 0
            ? <Empty>{q ? `No app matches “${q}”.` : 'No apps yet: an admin adds a repo on the Repos page.'}</Empty>
            : <ul class="cards" aria-label="Apps">{p.items.map(a => <Card key={a.id} app={a} />)}</ul>}
          </Loaded>
        </div>
      </div>
    </section>
  )
}
