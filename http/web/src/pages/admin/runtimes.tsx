// pages/admin/runtimes.tsx: runtimes and their credentials — list, create (kubeconfig upload or
// local), check.
import { useState } from 'preact/hooks'
import { api, items } from '../../api'
import { Empty, ErrorBox, Field, Loaded, Status, Table, useLoad } from '../../ui'

export function Runtimes() {
  const rts = useLoad(() => api.runtimes(), [])
  const creds = useLoad(() => api.credentials(), [])
  const provs = useLoad(() => api.providers(), [])
  const [name, setName] = useState('')
  const [prov, setProv] = useState('local')
  const [zone, setZone] = useState('')
  const [cred, setCred] = useState('')
  const [cname, setCname] = useState('')
  const [kube, setKube] = useState('')
  const [err, setErr] = useState<unknown>(null)
  const [checks, setChecks] = useState<Record<string, string>>({})
  const create = (e: Event) => {
    e.preventDefault()
    api.createRuntime({ name, provider: prov, zone, credential_id: cred || undefined }).then(() => { setName(''); setErr(null); rts.reload() }, setErr)
  }
  const upload = (e: Event) => {
    e.preventDefault()
    api.createCredential({ name: cname, provider: 'kubernetes', content: kube }).then(() => { setCname(''); setKube(''); setErr(null); creds.reload() }, setErr)
  }
  const readFile = (e: Event) => {
    const f = (e.target as HTMLInputElement).files?.[0]
    if (f) f.text().then(setKube)
  }
  return (
    <section>
      <h1>Runtimes</h1>
      <Loaded s={rts}>{p => p.items.length === 0 ? <Empty>No runtimes yet: create one below.</Empty> : (
        <Table label="Runtimes" head={['Name', 'Provider', 'Zone', 'Credential', 'Status', '']}>
          {p.items.map(r => <tr key={r.id}><td>{r.name}<br /><small class="muted">{r.id}</small></td><td>{r.provider}</td><td>{r.zone || '—'}</td><td>{r.credential_id || '—'}</td><td><Status s={r.status} /></td>
            <td><button type="button" class="danger" onClick={() => api.deleteRuntime(r.id).then(rts.reload, setErr)}>Delete</button></td></tr>)}
        </Table>)}
      </Loaded>
      <form class="card-form" onSubmit={create} aria-label="Create runtime">
        <h2>Create a runtime</h2>
        <div class="row wrap">
          <Field id="rt-name" label="Name"><input id="rt-name" required value={name} onInput={e => setName((e.target as HTMLInputElement).value)} /></Field>
          <Field id="rt-prov" label="Provider"><select id="rt-prov" value={prov} onChange={e => setProv((e.target as HTMLSelectElement).value)}>
            {items(provs.data).map(p => <option key={p.name} value={p.name}>{p.name} ({p.app_type})</option>)}</select></Field>
          <Field id="rt-zone" label="Zone / namespace"><input id="rt-zone" value={zone} onInput={e => setZone((e.target as HTMLInputElement).value)} /></Field>
          <Field id="rt-cred" label="Credential"><select id="rt-cred" value={cred} onChange={e => setCred((e.target as HTMLSelectElement).value)}>
            <option value="">none (local)</option>{(creds.data?.items ?? []).map(c => <option key={c.id} value={c.id}>{c.name} ({c.provider})</option>)}</select></Field>
        </div>
        <button type="submit" class="primary">Create runtime</button>
      </form>
      <h2>Credentials</h2>
      <Loaded s={creds}>{p => p.items.length === 0 ? <Empty>No credentials.</Empty> : (
        <Table label="Credentials" head={['Name', 'Provider', 'Status', 'Check']}>
          {p.items.map(c => <tr key={c.id}><td>{c.name}<br /><small class="muted">{c.id}</small></td><td>{c.provider}</td><td><Status s={c.status} /></td>
            <td><button type="button" onClick={() => api.validateCredential(c.id).then(r => setChecks(x => ({ ...x, [c.id]: r.ok ? 'ok' : r.error ?? 'failed' })), setErr)}>Check</button> {checks[c.id]}</td></tr>)}
        </Table>)}
      </Loaded>
      <form class="card-form" onSubmit={upload} aria-label="Upload kubeconfig">
        <h2>Upload a kubeconfig</h2>
        <div class="row wrap">
          <Field id="cr-name" label="Name"><input id="cr-name" required value={cname} onInput={e => setCname((e.target as HTMLInputElement).value)} /></Field>
          <Field id="cr-file" label="Kubeconfig file"><input id="cr-file" type="file" onChange={readFile} /></Field>
        </div>
        <Field id="cr-kube" label="Kubeconfig"><textarea id="cr-kube" class="code" rows={5} required value={kube} onInput={e => setKube((e.target as HTMLTextAreaElement).value)} /></Field>
        <button type="submit" class="primary">Create credential</button>
      </form>
      <ErrorBox error={err} />
    </section>
  )
}
