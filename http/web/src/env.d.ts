// Types for the type checker only (esbuild bundles the CSS import itself).
declare module '*.css'
