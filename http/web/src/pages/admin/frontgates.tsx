// pages/admin/frontgates.tsx: the edge proxies with a stream to the control plane, and their Drones.
import { api, items } from '../../api'
import { Empty, Loaded, Table, time, useLoad } from '../../ui'

export function AdminFrontgates() {
  const s = useLoad(() => api.frontgates(), [])
  return (
    <section>
      <h1>Frontgates</h1>
      <Loaded s={s}>{p => items(p).length === 0 ? <Empty>No Frontgate is connected: they appear when a VM runtime starts clusters.</Empty> : (
        <Table label="Frontgates" head={['Frontgate', 'VPC', 'Runtime', 'Node', 'Connected', 'Last seen', 'Drones']}>
          {items(p).map(f => <tr key={f.id}><td>{f.id}</td><td>{f.vpc}</td><td>{f.runtime_id}</td><td>{f.node}</td><td>{f.connected ? 'yes' : 'no'}</td><td>{time(f.last_seen)}</td>
            <td>{(f.drones ?? []).length ? <ul class="plain">{(f.drones ?? []).map(d => <li key={d}>{d}</li>)}</ul> : '—'}</td></tr>)}
        </Table>)}
      </Loaded>
    </section>
  )
}
