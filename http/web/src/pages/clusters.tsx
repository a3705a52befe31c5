// pages/clusters.tsx: the caller's clusters with their status, live over the events stream.
import { useEffect } from 'preact/hooks'
import { api, subscribe } from '../api'
import { Empty, Loaded, Status, Table, time, useLoad } from '../ui'

export function Clusters({ query }: { query: URLSearchParams }) {
  const status = query.get('status') ?? ''
  const s = useLoad(() => api.clusters({ status }), [status])
  useEffect(() => subscribe('', e => { if (e.type === 'cluster') s.reload() }), [status])
  return (
    <section>
      <h1>Clusters</h1>
      <Loaded s={s}>{p => p.items.length === 0
        ? <Empty>No clusters yet. Pick an app in the <a href="/ui/store">store</a> and deploy it.</Empty>
        : (
          <Table label="Clusters" head={['Name', 'Status', 'App type', 'Runtime', 'Nodes', 'Created']}>
            {p.items.map(c => (
              <tr key={c.id}>
                <td><a href={'/ui/clusters/' + encodeURIComponent(c.id)}>{c.name}</a><br /><small class="muted">{c.id}</small></td>
                <td><Status s={c.status} t={c.transition_status} /></td>
                <td>{c.app_type}</td><td>{c.runtime_id}</td><td>{(c.nodes ?? []).length}</td><td>{time(c.created_at)}</td>
              </tr>))}
          </Table>)}
      </Loaded>
    </section>
  )
}
