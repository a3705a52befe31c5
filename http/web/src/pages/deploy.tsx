// pages/deploy.tsx: the deploy form of a version, generated from the form description the API
// serves. VM apps: config.json's items; Helm charts: values.schema.json's, with a YAML editor as
// the fallback (the only editor for charts without a schema). Errors show next to each field;
// the server's own field errors (400 invalid_argument) are mapped back to the same fields.
import { useEffect, useMemo, useState } from 'preact/hooks'
import { ApiError, api, type Form, type FormField } from '../api'
import { check, initial, nest, type Raw } from '../form'
import { getLang } from '../lang'
import { navigate } from '../router'
import { Empty, ErrorBox, Field, Loaded, useLoad } from '../ui'

export function Input({ f, raw, set, error }: { f: FormField; raw: Raw; set: (r: Raw) => void; error?: string }) {
  const id = 'f-' + f.key.replace(/[^A-Za-z0-9_-]/g, '_')
  const common = {
    id, name: f.key, 'aria-invalid': error ? true : undefined,
    'aria-describedby': `${id}-hint ${id}-error`, required: f.required,
  }
  const label = (f.label || f.key) + (f.required ? ' *' : '')
  let input
  if (f.type === 'boolean') {
    input = <input type="checkbox" {...common} checked={raw === true} onChange={e => set((e.target as HTMLInputElement).checked)} />
  } else if (f.enum?.length) {
    input = (
      <select {...common} value={String(raw)} onChange={e => set((e.target as HTMLSelectElement).value)}>
        {!f.required && <option value="">—</option>}
        {f.enum.map(v => <option key={String(v)} value={String(v)}>{String(v)}</option>)}
      </select>)
  } else if (f.type === 'text' || f.type === 'yaml') {
    input = <textarea {...common} rows={4} value={String(raw)} onInput={e => set((e.target as HTMLTextAreaElement).value)} />
  } else {
    const onInput = (e: Event) => set((e.target as HTMLInputElement).value)
    input = f.type === 'password'
      ? <input {...common} type="password" autocomplete="new-password" value={String(raw)} onInput={onInput} />
      : f.type === 'integer' || f.type === 'number'
        ? <input {...common} type="number" step={f.type === 'number' ? 'any' : '1'} autocomplete="off" value={String(raw)} onInput={onInput} />
        : <input {...common} type="text" autocomplete="off" value={String(raw)} onInput={onInput} />
  }
  const hint = [f.description, f.min != null || f.max != null ? `Range ${f.min ?? '…'}–${f.max ?? '…'}` : ''].filter(Boolean).join(' · ')
  return <Field id={id} label={label} error={error} hint={hint || undefined}>{input}</Field>
}

// groupsOf splits the fields by role (in order of first appearance), named by the role's label.
function groupsOf(fields: FormField[]): [string, FormField[]][] {
  const m = new Map<string, FormField[]>()
  const names = new Map<string, string>()
  for (const f of fields) {
    const g = f.group || ''
    if (!m.has(g)) m.set(g, [])
    m.get(g)!.push(f)
    if (f.group_label) names.set(g, f.group_label)
  }
  return [...m.entries()].map(([g, fs]) => [names.get(g) ?? g, fs])
}

function DeployForm({ versionID, form, appName, appID }: { versionID: string; form: Form; appName: string; appID: string }) {
  const rts = useLoad(() => api.versionRuntimes(versionID), [versionID])
  const fields = form.fields
  const [raws, setRaws] = useState<Record<string, Raw>>(() => Object.fromEntries(fields.map(f => [f.key, initial(f)])))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [name, setName] = useState(appName + '-' + Math.random().toString(36).slice(2, 6))
  const [runtime, setRuntime] = useState('')
  const [yamlMode, setYamlMode] = useState(form.app_type === 'helm' && fields.length === 0)
  const [yaml, setYaml] = useState(form.values_yaml ?? '')
  const [err, setErr] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => { if (!runtime && rts.data?.items.length) setRuntime(rts.data.items[0].id) }, [rts.data])
  const groups = useMemo(() => groupsOf(fields), [fields])

  const set = (k: string) => (r: Raw) => {
    setRaws(x => ({ ...x, [k]: r }))
    const f = fields.find(f => f.key === k)!
    setErrors(e => ({ ...e, [k]: check(f, r) }))
  }
  const submit = async (e: Event) => {
    e.preventDefault()
    setErr(null)
    const errs: Record<string, string> = {}
    if (!name.trim()) errs.name = 'Required.'
    if (!runtime) errs.runtime_id = 'Choose a runtime.'
    if (!yamlMode) for (const f of fields) { const m = check(f, raws[f.key]); if (m) errs[f.key] = m }
    setErrors(errs)
    if (Object.values(errs).some(Boolean)) {
      const first = Object.keys(errs).find(k => errs[k])!
      document.getElementById(first === 'name' ? 'cl-name' : first === 'runtime_id' ? 'cl-runtime' : 'f-' + first.replace(/[^A-Za-z0-9_-]/g, '_'))?.focus()
      return
    }
    setBusy(true)
    try {
      const conf = yamlMode ? yaml : nest(fields, raws)
      const acc = await api.createCluster({ name: name.trim(), version_id: versionID, runtime_id: runtime, conf })
      navigate('/ui/jobs/' + encodeURIComponent(acc.job_id))
    } catch (x) {
      if (x instanceof ApiError && x.code === 'invalid_argument') {
        const fe: Record<string, string> = {}
        for (const [k, m] of Object.entries(x.details)) {
          const key = k.replace(/^conf\./, '').replace(/\//g, '.')
          fe[k === 'name' ? 'name' : k === 'runtime_id' ? 'runtime_id' : key] = m
        }
        setErrors(fe)
      }
      setErr(x)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} noValidate aria-label="Deploy">
      <fieldset>
        <legend>Cluster</legend>
        <Field id="cl-name" label="Cluster name *" error={errors.name}>
          <input id="cl-name" value={name} required aria-invalid={errors.name ? true : undefined} aria-describedby="cl-name-error"
            onInput={e => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="cl-runtime" label="Runtime *" error={errors.runtime_id}>
          <select id="cl-runtime" value={runtime} aria-describedby="cl-runtime-error" onChange={e => setRuntime((e.target as HTMLSelectElement).value)}>
            {(rts.data?.items ?? []).map(r => <option key={r.id} value={r.id}>{r.name} ({r.provider})</option>)}
          </select>
        </Field>
        {rts.data && rts.data.items.length === 0 && <Empty>No runtime of yours can run this version. <a href="/ui/runtimes">Add one</a>.</Empty>}
      </fieldset>
      {form.app_type === 'helm' && (
        <p class="row">
          <label><input type="checkbox" checked={yamlMode} disabled={fields.length === 0} onChange={e => setYamlMode((e.target as HTMLInputElement).checked)} /> Edit values as YAML</label>
          {fields.length === 0 && <span class="muted">This chart has no values.schema.json: edit its values.yaml.</span>}
        </p>
      )}
      {yamlMode ? (
        <Field id="values-yaml" label="Values (YAML)"
          error={Object.entries(errors).filter(([k, m]) => m && k !== 'name' && k !== 'runtime_id').map(([k, m]) => (k ? k + ': ' : '') + m).join('; ') || undefined}>
          <textarea id="values-yaml" class="code" rows={16} spellcheck={false} value={yaml} onInput={e => setYaml((e.target as HTMLTextAreaElement).value)} />
        </Field>
      ) : groups.map(([g, fs]) => (
        <fieldset key={g}>
          <legend>{g || 'Settings'}</legend>
          {fs.map(f => <Input key={f.key} f={f} raw={raws[f.key]} set={set(f.key)} error={errors[f.key]} />)}
        </fieldset>
      ))}
      <ErrorBox error={err} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Deploying…' : 'Deploy'}</button>
        <a href={'/ui/apps/' + encodeURIComponent(appID)}>Cancel</a>
      </div>
    </form>
  )
}

export function Deploy({ params }: { params: Record<string, string> }) {
  const lang = getLang()
  const s = useLoad(async () => {
    const v = await api.version(params.version)
    const [app, form] = await Promise.all([api.app(v.app_id), api.form(v.id, lang)])
    return { v, app, form }
  }, [params.version, lang])
  return (
    <section class="deploy">
      <Loaded s={s}>{({ v, app, form }) => (
        <>
          <h1>Deploy {app.name} {v.name}</h1>
          <DeployForm versionID={v.id} form={form} appName={app.name} appID={app.id} />
        </>)}
      </Loaded>
    </section>
  )
}
