// pages/icon.tsx: an app's icon. A data: URL is shown as is; a path inside the package is
// fetched through the API with the token (an <img> cannot send it); anything else, or a
// failure, shows the app's initial. Remote URLs are never loaded by the page.
import { useEffect, useState } from 'preact/hooks'
import { token } from '../api'

export function Icon({ app, versionID }: { app: { name: string; icon: string }; versionID?: string }) {
  const [src, setSrc] = useState(app.icon?.startsWith('data:image/') ? app.icon : '')
  useEffect(() => {
    const icon = app.icon ?? ''
    if (!icon || src || !versionID || /^[a-z]+:/i.test(icon) || icon.includes('..')) return
    let url = ''
    const ctl = new AbortController()
    fetch(`/v1/app_versions/${encodeURIComponent(versionID)}/files/${icon.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/')}`,
      { headers: { Authorization: 'Bearer ' + token.get() }, signal: ctl.signal })
      .then(r => (r.ok ? r.blob() : Promise.reject(r.status)))
      .then(b => { url = URL.createObjectURL(b); setSrc(url) }, () => {})
    return () => { ctl.abort(); if (url) URL.revokeObjectURL(url) }
  }, [app.icon, versionID])
  if (src) return <img class="icon" src={src} alt="" width={48} height={48} />
  return <span class="icon letter" aria-hidden="true">{(app.name || '?').slice(0, 1).toUpperCase()}</span>
}
