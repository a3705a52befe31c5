// router.ts: client routes under /ui (the server answers every /ui path with index.html).
import { useEffect, useState } from 'preact/hooks'

export const base = '/ui'

export function navigate(to: string, replace = false) {
  if (replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  dispatchEvent(new PopStateEvent('popstate'))
}

// useLocation returns the current path and query, re-rendering on navigation.
export function useLocation(): { path: string; query: URLSearchParams } {
  const [loc, setLoc] = useState(() => location.pathname + location.search)
  useEffect(() => {
    const on = () => setLoc(location.pathname + location.search)
    addEventListener('popstate', on)
    return () => removeEventListener('popstate', on)
  }, [])
  const u = new URL(loc, location.origin)
  return { path: u.pathname, query: u.searchParams }
}

// match returns the params of pattern ("/ui/apps/:id") in path, or null.
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/'), xs = path.replace(/\/+$/, '').split('/')
  if (ps.length !== xs.length) return null
  const out: Record<string, string> = {}
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) out[ps[i].slice(1)] = decodeURIComponent(xs[i])
    else if (ps[i] !== xs[i]) return null
  }
  return out
}

// Links are plain <a href>: a click on a same-origin /ui link is routed here, not reloaded.
export function interceptLinks() {
  document.addEventListener('click', e => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    const a = (e.target as Element).closest?.('a')
    if (!a || a.target || a.origin !== location.origin || !a.pathname.startsWith(base)) return
    if (a.hash && a.pathname === location.pathname) return // an anchor in this page
    e.preventDefault()
    navigate(a.pathname + a.search)
    window.scrollTo(0, 0)
  })
}
