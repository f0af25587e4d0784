// Plain JS on purpose (as src/vectors/ts-worker-boot.mjs): a pool thread does not inherit the
// TypeScript loader of its parent, so this file registers tsx, loads the TypeScript entry named in
// the pool's workerData, and hands piscina its task function; a compiled `.js` entry (dist/) is
// imported as it is.
import { Piscina } from 'piscina';

const { entry: href } = Piscina.workerData;
const entry = href.endsWith('.js')
  ? await import(href)
  : await (await import('tsx/esm/api')).tsImport(href, import.meta.url);

export default entry.default;
