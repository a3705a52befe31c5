// pages/admin/actors.tsx: the actor inspector — live activations by kind, and one's state.
import { useState } from 'preact/hooks'
import { api, items } from '../../api'
import { Empty, ErrorBox, Field, Loaded, Table, time, useLoad } from '../../ui'

export function AdminActors() {
  const [kind, setKind] = useState('')
  const s = useLoad(() => api.actors(kind), [kind])
  const [state, setState] = useState<{ id: string; body: string } | null>(null)
  const [err, setErr] = useState<unknown>(null)
  const show = (k: string, id: string) => api.actorState(k, id).then(b => setState({ id: k + '/' + id, body: JSON.stringify(b, null, 2) }), setErr)
  return (
    <section>
      <h1>Actor inspector</h1>
      <Field id="ak" label="Kind (empty for all)"><input id="ak" value={kind} onChange={e => setKind((e.target as HTMLInputElement).value)} /></Field>
      <Loaded s={s}>{p => items(p).length === 0 ? <Empty>No live actors{kind ? ' of kind ' + kind : ''}.</Empty> : (
        <Table label="Actors" head={['Kind', 'Id', 'Node', 'Mailbox', 'Activated', 'Last message', '']}>
          {items(p).map(a => <tr key={a.kind + a.id}><td>{a.kind}</td><td>{a.id}</td><td>{a.node}</td><td>{a.mailbox_len}</td><td>{time(a.activated_at)}</td><td>{time(a.last_message_at)}</td>
            <td><button type="button" onClick={() => show(a.kind, a.id)}>State</button></td></tr>)}
        </Table>)}
      </Loaded>
      <ErrorBox error={err} />
      {state && <><h2>State of {state.id}</h2><pre class="code">{state.body}</pre></>}
    </section>
  )
}
