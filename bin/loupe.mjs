#!/usr/bin/env node
// The package's bin. Runs the compiled CLI from dist/ (built at install by `npm run build`, which
// `prepare` runs) when it is current; after a source change without a rebuild it runs the TypeScript
// through tsx instead, so a stale build is never what answers.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newestSource } from './sources.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = `${root}dist/.built`;
const current = existsSync(stamp) && Number(readFileSync(stamp, 'utf8')) >= newestSource(root);

if (current) {
  await import('../dist/bin/loupe.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./loupe.ts');
}
