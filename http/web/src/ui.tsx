// ui.tsx: the small shared pieces every page uses.
import { Component, type ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from './api'

// useLoad runs load on mount and whenever deps change; reload runs it again.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: unknown; loading: boolean; reload: () => void; set: (t: T) => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true })
  const gen = useRef(0)
  const run = useCallback(() => {
    const g = ++gen.current
    setState(s => ({ ...s, loading: true }))
    load().then(data => g === gen.current && setState({ data, loading: false }),
      error => g === gen.current && setState({ error, loading: false }))
  }, deps)
  useEffect(run, [run])
  return { ...state, reload: run, set: (data: T) => setState({ data, loading: false }) }
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`
  return e instanceof Error ? e.message : String(e)
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null
  return <p class="error" role="alert">{errorText(error)}</p>
}

// Loaded shows a loading line, an error, or its children with the data.
export function Loaded<T>({ s, children }: { s: { data?: T; error?: unknown; loading: boolean }; children: (d: T) => ComponentChildren }) {
  if (s.error) return <ErrorBox error={s.error} />
  if (s.data === undefined) return <p class="muted" aria-busy="true">Loading…</p>
  return <>{children(s.data)}</>
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}

export function Status({ s, t }: { s: string; t?: string }) {
  return <span class={'status s-' + (s || 'none')}>{s || '—'}{t ? ` · ${t}` : ''}</span>
}

export function time(s?: string): string {
  if (!s) return '—'
  const d = new Date(s)
  return isNaN(+d) ? s : d.toLocaleString()
}

// Confirm asks before a destructive action: a modal <dialog> with the action's name on its button.
export function useConfirm(): [(q: { title: string; body: string; ok: string }) => Promise<boolean>, ComponentChildren] {
  const [q, setQ] = useState<{ title: string; body: string; ok: string; done: (b: boolean) => void } | null>(null)
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => { if (q && ref.current && !ref.current.open) ref.current.showModal() }, [q])
  const ask = (x: { title: string; body: string; ok: string }) => new Promise<boolean>(done => setQ({ ...x, done }))
  const close = (b: boolean) => { ref.current?.close(); q?.done(b); setQ(null) }
  const node = q && (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); close(false) }}>
      <h2 id="confirm-title">{q.title}</h2>
      <p>{q.body}</p>
      <div class="row">
        <button type="button" onClick={() => close(false)} autofocus>Cancel</button>
        <button type="button" class="danger" onClick={() => close(true)}>{q.ok}</button>
      </div>
    </dialog>
  )
  return [ask, node]
}

export function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={'field' + (error ? ' invalid' : '')}>
      <label for={id}>{label}</label>
      {children}
      {hint && <small id={id + '-hint'} class="muted">{hint}</small>}
      <small id={id + '-error'} class="field-error" role={error ? 'alert' : undefined}>{error ?? ''}</small>
    </div>
  )
}

export function Table({ head, children, label }: { head: string[]; children: ComponentChildren; label: string }) {
  return (
    <div class="table-wrap">
      <table aria-label={label}>
        <thead><tr>{head.map(h => <th scope="col" key={h}>{h}</th>)}</tr></thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  )
}

// Boundary keeps a page's error from blanking the whole dashboard: it shows the error and lets
// the user try again.
export class Boundary extends Component<{ children: ComponentChildren }, { error: unknown }> {
  state = { error: null as unknown }
  static getDerivedStateFromError(error: unknown) { return { error } }
  componentDidCatch(error: unknown) { console.error('pitrix: page error', error) }
  render() {
    if (!this.state.error) return <>{this.props.children}</>
    return (
      <section role="alert">
        <h1>Something went wrong</h1>
        <p class="error">{errorText(this.state.error)}</p>
        <button type="button" onClick={() => this.setState({ error: null })}>Try again</button>
      </section>
    )
  }
}
