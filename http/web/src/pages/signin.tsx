// pages/signin.tsx: sign in with an API token (kept in this tab's sessionStorage only).
import { useState } from 'preact/hooks'
import { api, token, type Whoami } from '../api'
import { ErrorBox, Field } from '../ui'

export function SignIn({ error, onSignedIn }: { error: unknown; onSignedIn: (w: Whoami) => void }) {
  const [value, setValue] = useState('')
  const [err, setErr] = useState<unknown>(error)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    if (!value.trim()) { setErr(new Error('Enter a token.')); return }
    setBusy(true)
    token.set(value.trim())
    try {
      onSignedIn(await api.whoami())
    } catch (x) {
      token.clear()
      setErr(x)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main id="main" class="signin">
      <h1>Sign in to Pitrix</h1>
      <p class="muted">Paste an API token. The admin's token is in <code>&lt;data-dir&gt;/admin.token</code>; an admin can make more on the Users page.</p>
      <form onSubmit={submit}>
        <Field id="token" label="Token">
          <input id="token" type="password" autocomplete="off" value={value} onInput={e => setValue((e.target as HTMLInputElement).value)} required />
        </Field>
        <ErrorBox error={err} />
        <button type="submit" class="primary" disabled={busy}>Sign in</button>
      </form>
    </main>
  )
}
