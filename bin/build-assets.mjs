#!/usr/bin/env node
// After `tsc -p tsconfig.build.json`: copy every file the compiled code reads at run time (migrations,
// static assets, demo data, worker boot files) to the same place under dist/, so `import.meta.url`
// lookups resolve there exactly as they do in the sources. Then stamp the build with the newest source
// time, which bin/loupe.mjs compares to decide whether dist/ is current.
import { copyFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newestSource, roots } from './sources.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = /\.(ts|tsx)$/;
for (const dir of roots) {
  cpSync(`${root}${dir}`, `${root}dist/${dir}`, {
    recursive: true,
    filter: (src) => !compiled.test(src) || src.endsWith('.d.ts'),
  });
}
// The version (`loupe --version`) is read from package.json two folders above the CLI's modules.
copyFileSync(`${root}package.json`, `${root}dist/package.json`);
rmSync(`${root}dist/bin/build-assets.mjs`, { force: true });
writeFileSync(`${root}dist/.built`, String(newestSource(root)));
