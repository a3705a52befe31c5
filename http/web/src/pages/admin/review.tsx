// pages/admin/review.tsx: the review queue — submitted versions of every app, with pass and
// reject (and a message).
import { useState } from 'preact/hooks'
import { api, type App, type Version } from '../../api'
import { Empty, ErrorBox, Field, Loaded, Table, time, useLoad } from '../../ui'

function Row({ v, app, onDone }: { v: Version; app: App; onDone: () => void }) {
  const [msg, setMsg] = useState('')
  const [err, setErr] = useState<unknown>(null)
  const act = (a: string) => api.review(v.id, a, msg).then(onDone, setErr)
  return (
    <tr>
      <td><a href={'/ui/apps/' + encodeURIComponent(app.id)}>{app.name}</a> {v.name}</td>
      <td>{v.owner}</td><td>{time(v.updated_at)}</td>
      <td>
        <Field id={'rv-' + v.id} label="Message"><input id={'rv-' + v.id} value={msg} onInput={e => setMsg((e.target as HTMLInputElement).value)} /></Field>
        <button type="button" class="primary" onClick={() => act('pass')}>Pass</button> <button type="button" class="danger" onClick={() => act('reject')}>Reject</button>
        <ErrorBox error={err} />
      </td>
    </tr>
  )
}

export function Review() {
  const s = useLoad(async () => {
    const apps = await api.apps({ limit: 200 })
    const out: { v: Version; app: App }[] = []
    for (const a of apps.items) {
      const vs = await api.versions(a.id)
      for (const v of vs.items) if (v.status === 'submitted') out.push({ v, app: a })
    }
    return out
  }, [])
  return (
    <section>
      <h1>Review queue</h1>
      <Loaded s={s}>{q => q.length === 0 ? <Empty>Nothing waits for review.</Empty> : (
        <Table label="Review queue" head={['Version', 'Owner', 'Submitted', 'Decision']}>
          {q.map(x => <Row key={x.v.id} v={x.v} app={x.app} onDone={s.reload} />)}
        </Table>)}
      </Loaded>
    </section>
  )
}
