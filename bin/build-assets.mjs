#!/usr/bin/env node
// After `tsc -p tsconfig.build.json`: copy every file the compiled code reads at run time (migrations,
// static assets, demo data, worker boot files) to the same place under dist/, so `import.meta.url`
// lookups resolve there exactly as they do in the sources. Bundle the many-file packages the compiled
// code imports (vendor.mjs). Then stamp the build with the newest source time, which bin/loupe.mjs
// compares to decide whether dist/ is current.
import { copyFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newestSource, roots } from './sources.mjs';
import { vendorPackages } from './vendor.mjs';

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
for (const tool of ['build-assets.mjs', 'vendor.mjs']) rmSync(`${root}dist/bin/${tool}`, { force: true });
await vendorPackages(`${root}dist`);
writeFileSync(`${root}dist/.built`, String(newestSource(root)));
