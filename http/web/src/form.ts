// form.ts: client-side checks of a deploy form's fields, from the form description the API
// serves (GET /v1/app_versions/{id}/form). They mirror the server's rules (the server checks
// again with the same description's source, so nothing invalid is ever created).
import type { FormField } from './api'

export type Raw = string | boolean

export function initial(f: FormField): Raw {
  if (f.type === 'boolean') return f.default === true
  if (f.default === undefined || f.default === null) return ''
  if (f.type === 'yaml' || (typeof f.default === 'object')) return JSON.stringify(f.default)
  return String(f.default)
}

// check returns the problem with raw for f, or ''.
export function check(f: FormField, raw: Raw): string {
  if (f.type === 'boolean') return ''
  const s = String(raw)
  if (s === '') return f.required ? 'Required.' : ''
  let v: unknown = s
  if (f.type === 'integer') {
    if (!/^-?\d+$/.test(s.trim())) return 'Must be a whole number.'
    v = Number(s)
  } else if (f.type === 'number') {
    if (s.trim() === '' || isNaN(Number(s))) return 'Must be a number.'
    v = Number(s)
  }
  if (typeof v === 'number') {
    if (f.min !== undefined && f.min !== null && v < f.min) return `Must be at least ${f.min}.`
    if (f.max !== undefined && f.max !== null && v > f.max) return `Must be at most ${f.max}.`
  }
  if (f.enum?.length && !f.multichoice && !f.enum.some(e => String(e) === s)) return `Must be one of ${f.enum.join(', ')}.`
  if (f.pattern && (f.type === 'string' || f.type === 'password' || f.type === 'text')) {
    let re: RegExp | null = null
    try { re = new RegExp(f.pattern) } catch { /* a Go-only pattern: the server checks it */ }
    if (re && !re.test(s)) return `Must match ${f.pattern}.`
  }
  if (f.type === 'yaml') {
    try { JSON.parse(s) } catch { return 'Must be JSON.' }
  }
  return ''
}

// value converts raw to the field's JSON value; undefined leaves the key out.
export function value(f: FormField, raw: Raw): unknown {
  if (f.type === 'boolean') return raw === true
  const s = String(raw)
  if (s === '') return undefined
  if (f.type === 'integer' || f.type === 'number') return Number(s)
  if (f.type === 'yaml') return JSON.parse(s)
  return s
}

// nest builds the nested conf object from each field's path (its dotted key when it has none).
export function nest(fields: FormField[], raws: Record<string, Raw>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    const v = value(f, raws[f.key])
    if (v === undefined) continue
    const segs = f.path?.length ? f.path : f.key.split('.')
    let m = out
    for (const s of segs.slice(0, -1)) {
      if (typeof m[s] !== 'object' || m[s] === null) m[s] = {}
      m = m[s] as Record<string, unknown>
    }
    m[segs[segs.length - 1]] = v
  }
  return out
}
