// pages/app.tsx: one app — versions, the chosen version's README (sanitized HTML from the API),
// maintainers, home, the runtimes it can run on, its review history and review actions.
import { useState } from 'preact/hooks'
import { api, type Version, type Whoami } from '../api'
import { Empty, ErrorBox, Field, Loaded, Status, Table, time, useLoad } from '../ui'
import { Icon } from './icon'

function ReviewBox({ v, me, onDone }: { v: Version; me: Whoami; onDone: () => void }) {
  const [msg, setMsg] = useState('')
  const [err, setErr] = useState<unknown>(null)
  const acts: string[] = []
  if (v.status === 'draft' || v.status === 'rejected') acts.push('submit')
  if (v.status === 'submitted') acts.push(...(me.is_admin ? ['pass', 'reject'] : []), 'cancel')
  if (v.status === 'passed') acts.push('release')
  if (v.status === 'active' && me.is_admin) acts.push('suspend')
  if (v.status === 'suspended' && me.is_admin) acts.push('recover')
  if (acts.length === 0) return null
  const run = (a: string) => api.review(v.id, a, msg).then(() => { setMsg(''); setErr(null); onDone() }, setErr)
  return (
    <form class="review" onSubmit={e => e.preventDefault()}>
      <Field id={'msg-' + v.id} label="Review message">
        <input id={'msg-' + v.id} value={msg} onInput={e => setMsg((e.target as HTMLInputElement).value)} />
      </Field>
      <div class="row">{acts.map(a => <button type="button" key={a} class={a === 'reject' ? 'danger' : ''} onClick={() => run(a)}>{a}</button>)}</div>
      <ErrorBox error={err} />
    </form>
  )
}

function VersionDetail({ v, me, onChange }: { v: Version; me: Whoami; onChange: () => void }) {
  const readme = useLoad(() => api.readme(v.id), [v.id])
  const rts = useLoad(() => api.versionRuntimes(v.id), [v.id])
  const audits = useLoad(() => api.audits(v.id), [v.id, v.status])
  return (
    <div class="version-detail">
      <h2>Version {v.name} <Status s={v.status} /></h2>
      {v.message && <p class="muted">Last review message: {v.message}</p>}
      <h3>Runs on</h3>
      <Loaded s={rts}>{p => p.items.length === 0
        ? <Empty>None of your runtimes can run this version. <a href="/ui/runtimes">Add a runtime</a>.</Empty>
        : <ul class="inline">{p.items.map(r => <li key={r.id}>{r.name} <span class="muted">({r.provider}{r.zone ? ' · ' + r.zone : ''})</span></li>)}</ul>}
      </Loaded>
      <ReviewBox v={v} me={me} onDone={onChange} />
      <h3>README</h3>
      <Loaded s={readme}>{r => r.html
        ? <article class="readme" dangerouslySetInnerHTML={{ __html: r.html }} />
        : <Empty>This version has no README.</Empty>}
      </Loaded>
      <h3>Review history</h3>
      <Loaded s={audits}>{p => p.items.length === 0 ? <Empty>No review steps yet.</Empty> : (
        <Table label="Review history" head={['When', 'Action', 'Status', 'By', 'Message']}>
          {p.items.map(a => <tr key={a.id}><td>{time(a.created_at)}</td><td>{a.action}</td><td>{a.from_status} → {a.status}</td><td>{a.operator} ({a.role})</td><td>{a.message}</td></tr>)}
        </Table>)}
      </Loaded>
    </div>
  )
}

export function AppPage({ params, me }: { params: Record<string, string>; me: Whoami }) {
  const app = useLoad(() => api.app(params.id), [params.id])
  const vs = useLoad(() => api.versions(params.id), [params.id])
  const [sel, setSel] = useState('')
  return (
    <Loaded s={app}>{a => {
      const list = vs.data?.items ?? []
      const cur = list.find(v => v.id === sel) ?? list.find(v => v.id === a.latest_version_id) ?? list[0]
      return (
        <section class="app-page">
          <div class="app-head">
            <Icon app={a} versionID={a.latest_version_id} />
            <div>
              <h1>{a.name} <span class={'tag t-' + a.type}>{a.type === 'helm' ? 'Helm' : 'VM'}</span></h1>
              <p>{a.description}</p>
              <p class="meta">
                {a.home && /^https?:\/\//.test(a.home) && <>Home: <a href={a.home} rel="noopener noreferrer" target="_blank">{a.home}</a> · </>}
                Maintainers: {(a.maintainers ?? []).length ? (a.maintainers ?? []).map(m => m.name + (m.email ? ` <${m.email}>` : '')).join(', ') : '—'}
                {a.keywords?.length ? ' · ' + a.keywords.join(', ') : ''}
              </p>
            </div>
          </div>
          <h2>Versions</h2>
          <Loaded s={vs}>{p => p.items.length === 0 ? <Empty>No versions.</Empty> : (
            <Table label="Versions" head={['Version', 'App version', 'Status', 'Created', '']}>
              {p.items.map(v => (
                <tr key={v.id} class={cur?.id === v.id ? 'selected' : ''}>
                  <td><button type="button" class="link" aria-pressed={cur?.id === v.id} onClick={() => setSel(v.id)}>{v.name}</button></td>
                  <td>{v.app_version}</td><td><Status s={v.status} /></td><td>{time(v.created_at)}</td>
                  <td><a class="button primary" href={'/ui/deploy/' + encodeURIComponent(v.id)}>Deploy {v.name}</a></td>
                </tr>))}
            </Table>)}
          </Loaded>
          {cur && <VersionDetail key={cur.id} v={cur} me={me} onChange={() => { vs.reload() }} />}
        </section>
      )
    }}</Loaded>
  )
}
