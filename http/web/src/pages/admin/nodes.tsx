// pages/admin/nodes.tsx: the control plane's members.
import { api, items } from '../../api'
import { Empty, Loaded, Status, Table, useLoad } from '../../ui'

export function AdminNodes() {
  const s = useLoad(() => api.nodes(), [])
  return (
    <section>
      <h1>Nodes</h1>
      <Loaded s={s}>{p => items(p).length === 0 ? <Empty>No nodes.</Empty> : (
        <Table label="Nodes" head={['Node', 'Address', 'Status', 'Raft role', 'Actors']}>
          {items(p).map(n => <tr key={n.id}><td>{n.id}</td><td>{n.address}</td><td><Status s={n.status} /></td><td>{n.raft_role}</td><td>{n.actors}</td></tr>)}
        </Table>)}
      </Loaded>
    </section>
  )
}
