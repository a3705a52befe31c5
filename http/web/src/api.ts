// api.ts: the typed client of the public REST API (../../shared/API.md). The page uses nothing else.

export interface Page<T> { total_count: number; items: T[] }
export interface Whoami { user_id: string; role: string; is_admin: boolean }
export interface Maintainer { name: string; email?: string; url?: string }
export interface App {
  id: string; name: string; description: string; icon: string; home: string; keywords: string[] | null;
  maintainers: Maintainer[] | null; repo_id: string; category_ids: string[] | null; type: 'vm' | 'helm';
  status: string; latest_version_id: string; owner: string; created_at: string; updated_at: string
}
export interface Version {
  id: string; app_id: string; repo_id: string; name: string; app_version: string; description: string;
  type: string; status: string; owner: string; message?: string; created_at: string; updated_at: string
}
export interface Audit { id: string; action: string; from_status: string; status: string; operator: string; role: string; message: string; created_at: string }
export interface Category { id: string; name: string; description: string; locale?: string }
export interface Runtime { id: string; name: string; description: string; provider: string; zone: string; credential_id: string; status: string; owner: string; labels: Record<string, string> | null }
export interface Credential { id: string; name: string; provider: string; status: string; owner: string }
export interface Provider { name: string; app_type: string; zones?: string[] }
export interface Role { role: string; kind?: string; count: number; ready: number; cpu?: number; memory?: number; message?: string }
export interface Endpoint { name: string; kind?: string; host?: string; port?: number; protocol?: string }
export interface ClusterNode { id: string; role: string; instance_id: string; private_ip: string; status: string; health: string }
export interface Cluster {
  id: string; name: string; description: string; app_id: string; version_id: string; runtime_id: string; provider: string;
  app_type: string; owner: string; status: string; transition_status: string; roles: Role[] | null; nodes: ClusterNode[] | null;
  endpoints: Endpoint[] | null; conf: unknown; revision: number; last_job_id?: string; created_at: string; updated_at: string
}
export interface Job {
  id: string; cluster_id: string; action: string; status: string; error: string; tasks_total: number; tasks_done: number;
  created_at: string; started_at?: string; finished_at?: string
}
export interface Task {
  id: string; job_id: string; layer: number; seq: number; action: string; target: string; node_id: string; status: string;
  attempts: number; error: string; output: string; started_at?: string; finished_at?: string
}
export interface Accepted { cluster_id: string; job_id: string }
export interface FormField {
  key: string; path?: string[]; label: string; description: string; type: string; default?: unknown; required: boolean;
  min?: number; max?: number; pattern?: string; enum?: unknown[]; changeable: boolean; group: string; group_label?: string; multichoice?: boolean
}
export interface Form { app_type: 'vm' | 'helm'; lang: string; fields: FormField[]; values_yaml?: string }
export interface Repo { id: string; name: string; description: string; type: string; url: string; visibility: string; providers: string[] | null; status: string; app_default_status: string; last_indexed_at?: string }
export interface RepoEvent { id: string; repo_id: string; trigger: string; status: string; result: string; apps_added: number; versions_added: number; started_at?: string; finished_at?: string }
export interface User { id: string; name: string; email: string; role: string; status: string; created_at: string }
export interface Token { id: string; name: string; user_id: string; scopes?: string[] | null; expires_at?: string; created_at: string; token?: string }
export interface NodeInfo { id: string; address: string; status: string; raft_role: string; actors: number }
export interface ActorInfo { kind: string; id: string; node: string; activated_at: string; mailbox_len: number; last_message_at?: string }
export interface Frontgate { id: string; vpc: string; runtime_id: string; node: string; connected: boolean; last_seen: string; drones: string[] | null }
export interface StreamEvent { seq: number; type: 'cluster' | 'job' | 'task'; cluster_id: string; data: unknown; at: string }

// ApiError is an error answer: status, code and the details naming each bad field.
export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public details: Record<string, string> = {}) {
    super(message)
  }
}

const tokenKey = 'pitrix.token'
// signedOut is dispatched on window when the API refuses the token.
export const signedOut = 'pitrix:signed-out'
export const token = {
  get: (): string => sessionStorage.getItem(tokenKey) ?? '',
  set: (t: string) => sessionStorage.setItem(tokenKey, t),
  clear: () => sessionStorage.removeItem(tokenKey),
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: 'Bearer ' + token.get(), Accept: 'application/json' }
  let payload: string | undefined
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const res = await fetch(path, { method, headers, body: payload })
  const text = await res.text()
  let data: any = null
  try { data = text ? JSON.parse(text) : null } catch { /* not JSON */ }
  if (res.status === 401 && token.get()) {
    // The token was revoked or expired: back to the sign-in page.
    token.clear()
    dispatchEvent(new Event(signedOut))
  }
  if (!res.ok) {
    const e = data?.error ?? {}
    throw new ApiError(res.status, e.code ?? 'http_' + res.status, e.message ?? res.statusText, e.details ?? {})
  }
  return data as T
}

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v))
  const t = s.toString()
  return t ? '?' + t : ''
}
const enc = encodeURIComponent

export const api = {
  whoami: () => call<Whoami>('GET', '/v1/whoami'),
  categories: () => call<Page<Category>>('GET', '/v1/categories?limit=200'),
  apps: (p: { q?: string; category_id?: string; status?: string; limit?: number }) => call<Page<App>>('GET', '/v1/apps' + q(p)),
  app: (id: string) => call<App>('GET', '/v1/apps/' + enc(id)),
  versions: (appID: string) => call<Page<Version>>('GET', `/v1/apps/${enc(appID)}/versions?limit=200`),
  version: (id: string) => call<Version>('GET', '/v1/app_versions/' + enc(id)),
  readme: (id: string) => call<{ html: string }>('GET', `/v1/app_versions/${enc(id)}/readme`),
  form: (id: string, lang: string) => call<Form>('GET', `/v1/app_versions/${enc(id)}/form${q({ lang })}`),
  versionRuntimes: (id: string) => call<Page<Runtime>>('GET', `/v1/app_versions/${enc(id)}/runtimes`),
  audits: (id: string) => call<Page<Audit>>('GET', `/v1/app_versions/${enc(id)}/audits`),
  review: (id: string, action: string, message: string) => call<Version>('POST', `/v1/app_versions/${enc(id)}/${action}`, { message }),
  listVersions: (status: string) => call<Page<Version>>('GET', `/v1/apps?status=${enc(status)}`),
  clusters: (p: { status?: string; app_id?: string } = {}) => call<Page<Cluster>>('GET', '/v1/clusters' + q({ ...p, limit: 200 })),
  cluster: (id: string) => call<Cluster>('GET', '/v1/clusters/' + enc(id)),
  createCluster: (in_: { name: string; description?: string; version_id: string; runtime_id: string; conf: unknown }) =>
    call<Accepted>('POST', '/v1/clusters', in_),
  clusterAction: (id: string, action: string, body?: unknown) => call<Accepted>('POST', `/v1/clusters/${enc(id)}/${action}`, body),
  deleteCluster: (id: string, force = false) => call<Accepted>('DELETE', `/v1/clusters/${enc(id)}${force ? '?force=true' : ''}`),
  jobs: (clusterID: string) => call<Page<Job>>('GET', `/v1/jobs${q({ cluster_id: clusterID, limit: 50 })}`),
  job: (id: string) => call<Job>('GET', '/v1/jobs/' + enc(id)),
  tasks: (jobID: string) => call<Page<Task>>('GET', `/v1/jobs/${enc(jobID)}/tasks`),
  retryJob: (id: string) => call<Accepted>('POST', `/v1/jobs/${enc(id)}/retry`),
  runtimes: () => call<Page<Runtime>>('GET', '/v1/runtimes?limit=200'),
  createRuntime: (in_: { name: string; description?: string; provider: string; zone?: string; credential_id?: string }) => call<Runtime>('POST', '/v1/runtimes', in_),
  deleteRuntime: (id: string) => call<void>('DELETE', '/v1/runtimes/' + enc(id)),
  providers: () => call<Provider[] | Page<Provider>>('GET', '/v1/providers'),
  credentials: () => call<Page<Credential>>('GET', '/v1/runtime_credentials?limit=200'),
  createCredential: (in_: { name: string; provider: string; url?: string; content: string }) => call<Credential>('POST', '/v1/runtime_credentials', in_),
  validateCredential: (id: string) => call<{ ok: boolean; error?: string }>('POST', `/v1/runtime_credentials/${enc(id)}/validate`),
  repos: () => call<Page<Repo>>('GET', '/v1/repos?limit=200'),
  createRepo: (in_: { name: string; type: string; url: string; visibility: string; providers: string[] }) => call<Repo>('POST', '/v1/repos', in_),
  indexRepo: (id: string) => call<RepoEvent>('POST', `/v1/repos/${enc(id)}/index`),
  repoEvents: (id: string) => call<Page<RepoEvent>>('GET', `/v1/repos/${enc(id)}/events?limit=20`),
  users: () => call<Page<User>>('GET', '/v1/users?limit=200'),
  createUser: (in_: { name: string; email: string; role: string }) => call<User>('POST', '/v1/users', in_),
  userTokens: (id: string) => call<Page<Token>>('GET', `/v1/users/${enc(id)}/tokens`),
  createToken: (id: string, name: string, ttl_days: number) => call<Token>('POST', `/v1/users/${enc(id)}/tokens`, { name, ttl_days }),
  revokeToken: (id: string) => call<void>('DELETE', '/v1/tokens/' + enc(id)),
  nodes: () => call<Page<NodeInfo> | NodeInfo[]>('GET', '/v1/admin/nodes'),
  actors: (kind: string) => call<Page<ActorInfo> | ActorInfo[]>('GET', '/v1/admin/actors' + q({ kind })),
  actorState: (kind: string, id: string) => call<unknown>('GET', `/v1/admin/actors/${enc(kind)}/${enc(id)}`),
  frontgates: () => call<Page<Frontgate> | Frontgate[]>('GET', '/v1/frontgates'),
}

// items accepts either a list page or a bare array.
export function items<T>(p: Page<T> | T[] | null | undefined): T[] {
  if (!p) return []
  return Array.isArray(p) ? p : (p.items ?? [])
}

// subscribe reads GET /v1/events (server-sent events) with the bearer token over fetch (an
// EventSource cannot send it) and calls onEvent for each event until the returned stop is called.
export function subscribe(clusterID: string, onEvent: (e: StreamEvent) => void, onState?: (live: boolean) => void): () => void {
  const ctl = new AbortController()
  let stopped = false
  const run = async (attempt: number) => {
    try {
      const res = await fetch('/v1/events' + q({ cluster_id: clusterID }), {
        headers: { Authorization: 'Bearer ' + token.get(), Accept: 'text/event-stream' }, signal: ctl.signal,
      })
      if (!res.ok || !res.body) throw new Error('events: HTTP ' + res.status)
      onState?.(true)
      attempt = 0
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buf += value
        let i: number
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const data = frame.split('\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6)).join('\n')
          if (data) {
            try { onEvent(JSON.parse(data) as StreamEvent) } catch { /* a bad frame is skipped */ }
          }
        }
      }
    } catch { /* reconnect below */ }
    onState?.(false)
    if (!stopped) setTimeout(() => !stopped && run(attempt + 1), Math.min(5000, 500 * 2 ** attempt))
  }
  run(0)
  return () => { stopped = true; ctl.abort() }
}
