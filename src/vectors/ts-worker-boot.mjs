// Plain JS on purpose: a worker thread does not inherit the TypeScript loader of its parent
// (vitest, or tsx when started without its CLI), so this file registers tsx and then loads the
// TypeScript entry named in workerData; a compiled `.js` entry is imported as it is.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.js')) {
  await import(workerData.entry);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(workerData.entry, import.meta.url);
}
