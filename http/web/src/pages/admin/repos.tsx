// pages/admin/repos.tsx: repos — list, create, index now, and each repo's index events.
import { useState } from 'preact/hooks'
import { api, type Repo } from '../../api'
import { Empty, ErrorBox, Field, Loaded, Status, Table, time, useLoad } from '../../ui'

function Events({ repo }: { repo: Repo }) {
  const ev = useLoad(() => api.repoEvents(repo.id), [repo.id])
  const [err, setErr] = useState<unknown>(null)
  return (
    <details>
      <summary>Index events of {repo.name}</summary>
      <button type="button" onClick={() => api.indexRepo(repo.id).then(ev.reload, setErr)}>Index now</button>
      <button type="button" onClick={ev.reload}>Refresh</button>
      <ErrorBox error={err} />
      <Loaded s={ev}>{p => p.items.length === 0 ? <Empty>No index runs yet.</Empty> : (
        <Table label={'Index events of ' + repo.name} head={['Started', 'Trigger', 'Status', 'Apps added', 'Versions added', 'Result']}>
          {p.items.map(e => <tr key={e.id}><td>{time(e.started_at)}</td><td>{e.trigger}</td><td><Status s={e.status} /></td><td>{e.apps_added}</td><td>{e.versions_added}</td><td>{e.result}</td></tr>)}
        </Table>)}
      </Loaded>
    </details>
  )
}

export function Repos() {
  const repos = useLoad(() => api.repos(), [])
  const [f, setF] = useState({ name: '', url: '', type: 'https', visibility: 'private', providers: 'local' })
  const [err, setErr] = useState<unknown>(null)
  const upd = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value })
  const create = (e: Event) => {
    e.preventDefault()
    api.createRepo({ ...f, providers: f.providers.split(',').map(s => s.trim()).filter(Boolean) }).then(() => { setErr(null); repos.reload() }, setErr)
  }
  return (
    <section>
      <h1>Repos</h1>
      <Loaded s={repos}>{p => p.items.length === 0 ? <Empty>No repos yet.</Empty> : (
        <>
          <Table label="Repos" head={['Name', 'URL', 'Providers', 'Visibility', 'Last indexed']}>
            {p.items.map(r => <tr key={r.id}><td>{r.name}<br /><small class="muted">{r.id}</small></td><td>{r.url}</td><td>{(r.providers ?? []).join(', ')}</td><td>{r.visibility}</td><td>{time(r.last_indexed_at)}</td></tr>)}
          </Table>
          {p.items.map(r => <Events key={r.id} repo={r} />)}
        </>)}
      </Loaded>
      <form class="card-form" onSubmit={create} aria-label="Create repo">
        <h2>Add a repo</h2>
        <div class="row wrap">
          <Field id="rp-name" label="Name"><input id="rp-name" required value={f.name} onInput={upd('name')} /></Field>
          <Field id="rp-url" label="URL"><input id="rp-url" required value={f.url} onInput={upd('url')} /></Field>
          <Field id="rp-type" label="Type"><select id="rp-type" value={f.type} onChange={upd('type')}>{['https', 'http', 's3', 'local'].map(t => <option key={t}>{t}</option>)}</select></Field>
          <Field id="rp-vis" label="Visibility"><select id="rp-vis" value={f.visibility} onChange={upd('visibility')}><option>private</option><option>public</option></select></Field>
          <Field id="rp-prov" label="Providers (comma-separated)"><input id="rp-prov" value={f.providers} onInput={upd('providers')} /></Field>
        </div>
        <button type="submit" class="primary">Add repo</button>
      </form>
      <ErrorBox error={err} />
    </section>
  )
}
