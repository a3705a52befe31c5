// pages/cluster.tsx: one cluster — roles, nodes, endpoints, env (its conf), the history of its
// jobs, and every action the API has; destructive ones ask first. Live over the events stream.
import { useEffect, useState } from 'preact/hooks'
import { api, subscribe, type Cluster, type FormField } from '../api'
import { check, nest, type Raw } from '../form'
import { getLang } from '../lang'
import { Input } from './deploy'
import { navigate } from '../router'
import { Empty, ErrorBox, Field, Loaded, Status, Table, time, useConfirm, useLoad } from '../ui'

type Act = { name: string; label: string; danger?: boolean; force?: boolean; why?: string; body?: () => unknown }

// EnvForm edits a VM cluster's env with the fields of its version's form that may change after
// create (checked like the deploy form); other apps edit the env as JSON.
function EnvForm({ c, run }: { c: Cluster; run: (body: () => unknown) => void }) {
  const form = useLoad(() => api.form(c.version_id, getLang()), [c.version_id])
  const cur = ((c.conf ?? {}) as { env?: Record<string, unknown> }).env ?? {}
  const fields: FormField[] = (form.data?.fields ?? []).filter(f => f.key.startsWith('env.') && f.changeable)
    .map(f => ({ ...f, key: f.key.slice(4), path: f.path?.slice(1) }))
  const [raws, setRaws] = useState<Record<string, Raw>>({})
  const [errs, setErrs] = useState<Record<string, string>>({})
  const [json, setJson] = useState('')
  const rawOf = (f: FormField): Raw => raws[f.key] ?? (f.type === 'boolean' ? cur[f.key] === true : cur[f.key] === undefined ? '' : String(cur[f.key]))
  if (form.data?.app_type === 'vm' && fields.length) {
    const submit = () => {
      const all = Object.fromEntries(fields.map(f => [f.key, rawOf(f)]))
      const e = Object.fromEntries(fields.map(f => [f.key, check(f, all[f.key])]))
      setErrs(e)
      if (!Object.values(e).some(Boolean)) run(() => ({ env: nest(fields, all) }))
    }
    return (
      <fieldset>
        <legend>Env</legend>
        {fields.map(f => <Input key={f.key} f={{ ...f, key: 'env.' + f.key }} raw={rawOf(f)} error={errs[f.key]}
          set={r => { setRaws(x => ({ ...x, [f.key]: r })); setErrs(x => ({ ...x, [f.key]: check(f, r) })) }} />)}
        <button type="button" onClick={submit}>Update env</button>
      </fieldset>
    )
  }
  return (
    <div>
      <Field id="env-json" label="Env (JSON object)"><textarea id="env-json" class="code" rows={3} value={json || JSON.stringify(cur)} onInput={e => setJson((e.target as HTMLTextAreaElement).value)} /></Field>
      <button type="button" onClick={() => run(() => ({ env: JSON.parse(json || JSON.stringify(cur)) }))}>Update env</button>
    </div>
  )
}

function Actions({ c, onStarted }: { c: Cluster; onStarted: (job: string) => void }) {
  const [ask, dialog] = useConfirm()
  const [err, setErr] = useState<unknown>(null)
  const roles = (c.roles ?? []).map(r => r.role)
  const [role, setRole] = useState(roles[0] ?? '')
  const [count, setCount] = useState('1')
  const [nodeSel, setNodeSel] = useState<string[]>([])
  const [cpu, setCpu] = useState('')
  const [mem, setMem] = useState('')
  const [ver, setVer] = useState('')
  const [svc, setSvc] = useState('')
  const versions = useLoad(() => api.versions(c.app_id), [c.app_id])
  const busy = c.transition_status !== ''

  const run = async (a: Act) => {
    setErr(null)
    if (a.danger && !(await ask({ title: `${a.label}: ${c.name}?`, body: `This will ${a.label.toLowerCase()} cluster ${c.name} (${c.id}).${a.why ? ' ' + a.why : ''}`, ok: a.label }))) return
    try {
      const body = a.force ? { ...(a.body?.() as object | undefined), force: true } : a.body?.()
      const acc = a.name === 'delete' ? await api.deleteCluster(c.id, a.force) : await api.clusterAction(c.id, a.name, body)
      onStarted(acc.job_id)
    } catch (x) { setErr(x) }
  }
  const btn = (a: Act) => <button type="button" class={a.danger ? 'danger' : ''} disabled={busy && a.name !== 'recover'} onClick={() => run(a)}>{a.label}</button>
  return (
    <div class="actions">
      {dialog}
      <div class="row wrap">
        {btn({ name: 'start', label: 'Start' })}
        {btn({ name: 'stop', label: 'Stop', danger: true })}
        {btn({ name: 'restart', label: 'Restart', danger: true })}
        {btn({ name: 'recover', label: 'Recover' })}
        {btn({ name: 'rollback', label: 'Roll back', danger: true })}
        {btn({ name: 'delete', label: 'Delete', danger: true })}
        {btn({ name: 'cease', label: 'Cease', danger: true })}
      </div>
      <details>
        <summary>When stop or destroy commands fail</summary>
        <div class="row wrap">
          {btn({ name: 'delete', label: 'Force delete', danger: true, force: true, why: 'Failing stop and destroy commands are skipped (recorded in the job) and the instances removed anyway.' })}
          {btn({ name: 'cease', label: 'Force cease', danger: true, force: true, why: 'Failing commands are skipped (recorded in the job) and everything is removed.' })}
        </div>
      </details>
      <details>
        <summary>Scale out / in</summary>
        <div class="row wrap">
          <Field id="sc-role" label="Role"><select id="sc-role" value={role} onChange={e => setRole((e.target as HTMLSelectElement).value)}>{roles.map(r => <option key={r}>{r}</option>)}</select></Field>
          <Field id="sc-count" label="Nodes to add"><input id="sc-count" type="number" min={1} value={count} onInput={e => setCount((e.target as HTMLInputElement).value)} /></Field>
          {btn({ name: 'add_nodes', label: 'Add nodes', body: () => ({ role, count: Number(count) }) })}
        </div>
        <fieldset>
          <legend>Nodes to remove</legend>
          {(c.nodes ?? []).map(n => (
            <label key={n.id} class="check"><input type="checkbox" checked={nodeSel.includes(n.id)}
              onChange={e => setNodeSel(s => (e.target as HTMLInputElement).checked ? [...s, n.id] : s.filter(x => x !== n.id))} /> {n.id} ({n.role})</label>))}
          {btn({ name: 'delete_nodes', label: 'Remove nodes', danger: true, body: () => ({ node_ids: nodeSel }) })}
        </fieldset>
      </details>
      <details>
        <summary>Resize</summary>
        <div class="row wrap">
          <Field id="rs-cpu" label="CPU"><input id="rs-cpu" type="number" min={1} value={cpu} onInput={e => setCpu((e.target as HTMLInputElement).value)} /></Field>
          <Field id="rs-mem" label="Memory (MiB)"><input id="rs-mem" type="number" min={1} value={mem} onInput={e => setMem((e.target as HTMLInputElement).value)} /></Field>
          {btn({ name: 'resize', label: 'Resize', body: () => ({ roles: [{ role, cpu: Number(cpu) || 0, memory: Number(mem) || 0 }] }) })}
        </div>
      </details>
      <details>
        <summary>Update env / upgrade / custom service</summary>
        <EnvForm c={c} run={body => run({ name: 'update_env', label: 'Update env', body })} />
        <div class="row wrap">
          <Field id="up-ver" label="Upgrade to"><select id="up-ver" value={ver} onChange={e => setVer((e.target as HTMLSelectElement).value)}>
            <option value="">—</option>{(versions.data?.items ?? []).filter(v => v.id !== c.version_id).map(v => <option key={v.id} value={v.id}>{v.name}</option>)}</select></Field>
          {btn({ name: 'upgrade', label: 'Upgrade', danger: true, body: () => ({ version_id: ver }) })}
          <Field id="svc" label="Custom service"><input id="svc" value={svc} onInput={e => setSvc((e.target as HTMLInputElement).value)} /></Field>
          {btn({ name: 'service', label: 'Run service', body: () => ({ service: svc }) })}
        </div>
      </details>
      <ErrorBox error={err} />
    </div>
  )
}

export function ClusterPage({ params }: { params: Record<string, string> }) {
  const s = useLoad(() => api.cluster(params.id), [params.id])
  const jobs = useLoad(() => api.jobs(params.id), [params.id])
  const [live, setLive] = useState(false)
  useEffect(() => {
    let clusterEvents = 0
    return subscribe(params.id, e => {
      if (e.type === 'cluster') { clusterEvents++; s.set(e.data as Cluster) }
      if (e.type === 'job') jobs.reload()
    }, l => {
      setLive(l)
      if (!l) return
      // Read again once connected (nothing is missed), unless the stream already said newer.
      const seen = clusterEvents
      api.cluster(params.id).then(c => { if (clusterEvents === seen) s.set(c) }, () => {})
      jobs.reload()
    })
  }, [params.id])
  return (
    <Loaded s={s}>{c => (
      <section class="cluster">
        <h1>{c.name} <Status s={c.status} t={c.transition_status} /></h1>
        <p class="muted">{c.id} · {c.app_type} on {c.runtime_id} · revision {c.revision} · <span class={live ? 'live on' : 'live'}>{live ? 'live' : 'connecting…'}</span></p>
        <Actions c={c} onStarted={job => navigate('/ui/jobs/' + encodeURIComponent(job))} />
        <h2>Roles</h2>
        {(c.roles ?? []).length === 0 ? <Empty>No roles yet.</Empty> : (
          <Table label="Roles" head={['Role', 'Count', 'Ready', 'CPU', 'Memory', 'Message']}>
            {(c.roles ?? []).map(r => <tr key={r.role}><td>{r.role}</td><td>{r.count}</td><td>{r.ready}</td><td>{r.cpu ?? '—'}</td><td>{r.memory ?? '—'}</td><td>{r.message ?? ''}</td></tr>)}
          </Table>)}
        <h2>Nodes</h2>
        {(c.nodes ?? []).length === 0 ? <Empty>No nodes.</Empty> : (
          <Table label="Nodes" head={['Node', 'Role', 'Address', 'Status', 'Health', 'Instance']}>
            {(c.nodes ?? []).map(n => <tr key={n.id}><td>{n.id}</td><td>{n.role}</td><td>{n.private_ip || '—'}</td><td><Status s={n.status} /></td><td>{n.health || '—'}</td><td>{n.instance_id}</td></tr>)}
          </Table>)}
        <h2>Endpoints</h2>
        {(c.endpoints ?? []).length === 0 ? <Empty>No endpoints.</Empty> : (
          <ul>{(c.endpoints ?? []).map(e => <li key={e.name}>{e.name}: {e.protocol ? e.protocol + '://' : ''}{e.host}{e.port ? ':' + e.port : ''}</li>)}</ul>)}
        <h2>Env and conf</h2>
        <pre class="code">{JSON.stringify(c.conf, null, 2)}</pre>
        <h2>Jobs</h2>
        <Loaded s={jobs}>{p => p.items.length === 0 ? <Empty>No jobs.</Empty> : (
          <Table label="Jobs" head={['Job', 'Action', 'Status', 'Tasks', 'Created', 'Finished']}>
            {p.items.map(j => <tr key={j.id}><td><a href={'/ui/jobs/' + encodeURIComponent(j.id)}>{j.id}</a></td><td>{j.action}</td><td><Status s={j.status} /></td><td>{j.tasks_done}/{j.tasks_total}</td><td>{time(j.created_at)}</td><td>{time(j.finished_at)}</td></tr>)}
          </Table>)}
        </Loaded>
      </section>)}
    </Loaded>
  )
}
