// Bundled as text (see `rules` in wrangler.toml): SQL files, and `?raw` imports (under vitest, Vite's own `?raw`).
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*?raw" {
  const text: string;
  export default text;
}
