// lang.ts: the page's language, sent to the API for deploy-form labels (en or zh-CN).
export type Lang = 'en' | 'zh-CN'
const key = 'pitrix.lang'
export function getLang(): Lang {
  const l = localStorage.getItem(key)
  if (l === 'en' || l === 'zh-CN') return l
  return navigator.language?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}
export function setLang(l: Lang) {
  localStorage.setItem(key, l)
  document.documentElement.lang = l
}
