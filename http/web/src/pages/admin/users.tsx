// pages/admin/users.tsx: users and their tokens (a new token is shown once).
import { useState } from 'preact/hooks'
import { api, type User } from '../../api'
import { Empty, ErrorBox, Field, Loaded, Table, time, useConfirm, useLoad } from '../../ui'

function Tokens({ u }: { u: User }) {
  const s = useLoad(() => api.userTokens(u.id), [u.id])
  const [name, setName] = useState('')
  const [made, setMade] = useState('')
  const [err, setErr] = useState<unknown>(null)
  const [ask, dialog] = useConfirm()
  const create = (e: Event) => { e.preventDefault(); api.createToken(u.id, name, 30).then(t => { setMade(t.token ?? ''); setName(''); s.reload() }, setErr) }
  const revoke = async (id: string) => { if (await ask({ title: 'Revoke token?', body: `Token ${id} stops working at once.`, ok: 'Revoke' })) api.revokeToken(id).then(s.reload, setErr) }
  return (
    <details>
      <summary>Tokens of {u.name}</summary>
      {dialog}
      <Loaded s={s}>{p => p.items.length === 0 ? <Empty>No tokens.</Empty> : (
        <Table label={'Tokens of ' + u.name} head={['Name', 'Created', 'Expires', '']}>
          {p.items.map(t => <tr key={t.id}><td>{t.name}</td><td>{time(t.created_at)}</td><td>{time(t.expires_at)}</td><td><button type="button" class="danger" onClick={() => revoke(t.id)}>Revoke</button></td></tr>)}
        </Table>)}
      </Loaded>
      <form class="row" onSubmit={create}>
        <Field id={'tk-' + u.id} label="New token name"><input id={'tk-' + u.id} required value={name} onInput={e => setName((e.target as HTMLInputElement).value)} /></Field>
        <button type="submit">Create token</button>
      </form>
      {made && <p role="status">New token (shown once): <code class="secret">{made}</code></p>}
      <ErrorBox error={err} />
    </details>
  )
}

export function AdminUsers() {
  const s = useLoad(() => api.users(), [])
  const [f, setF] = useState({ name: '', email: '', role: 'user' })
  const [err, setErr] = useState<unknown>(null)
  const create = (e: Event) => { e.preventDefault(); api.createUser(f).then(() => { setErr(null); s.reload() }, setErr) }
  return (
    <section>
      <h1>Users</h1>
      <Loaded s={s}>{p => p.items.length === 0 ? <Empty>No users.</Empty> : (
        <>
          <Table label="Users" head={['Name', 'Email', 'Role', 'Status', 'Created']}>
            {p.items.map(u => <tr key={u.id}><td>{u.name}<br /><small class="muted">{u.id}</small></td><td>{u.email}</td><td>{u.role}</td><td>{u.status}</td><td>{time(u.created_at)}</td></tr>)}
          </Table>
          {p.items.map(u => <Tokens key={u.id} u={u} />)}
        </>)}
      </Loaded>
      <form class="card-form" onSubmit={create} aria-label="Create user">
        <h2>Add a user</h2>
        <div class="row wrap">
          <Field id="us-name" label="Name"><input id="us-name" required value={f.name} onInput={e => setF({ ...f, name: (e.target as HTMLInputElement).value })} /></Field>
          <Field id="us-email" label="Email"><input id="us-email" type="email" required value={f.email} onInput={e => setF({ ...f, email: (e.target as HTMLInputElement).value })} /></Field>
          <Field id="us-role" label="Role"><select id="us-role" value={f.role} onChange={e => setF({ ...f, role: (e.target as HTMLSelectElement).value })}>{['user', 'isv', 'admin'].map(r => <option key={r}>{r}</option>)}</select></Field>
        </div>
        <button type="submit" class="primary">Add user</button>
      </form>
      <ErrorBox error={err} />
    </section>
  )
}
