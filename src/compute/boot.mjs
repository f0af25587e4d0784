// Plain JS on purpose (as src/vectors/ts-worker-boot.mjs): a pool thread does not inherit the
// TypeScript loader of its parent, so this file registers tsx, loads the TypeScript entry named in
// the pool's workerData, and hands piscina its task function.
import { Piscina } from 'piscina';
import { tsImport } from 'tsx/esm/api';

const entry = await tsImport(Piscina.workerData.entry, import.meta.url);

export default entry.default;
