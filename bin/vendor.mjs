// After `tsc`: bundle the few packages that are plain JavaScript spread over many files (drizzle-orm,
// zod) into dist/vendor/, and point the compiled modules' imports at the bundles. Node resolves,
// reads and links each file of a package on its own, which made loading them most of a command's
// start (measured: drizzle-orm + pg-core 90 → 14 ms CPU, zod 95 → 45 ms). One build with code
// splitting, so every entry shares one copy of each package. The sources and the tests import the
// packages as usual; only dist/ changes.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The packages bundled: pure JavaScript, many files, imported at every database command's start. */
const vendored = ['drizzle-orm', 'zod'];

const literal = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `from 'drizzle-orm/pglite'` and `import('zod')`, as tsc writes them. */
const specifiers = new RegExp(
  `(\\bfrom\\s*|\\bimport\\s*\\(\\s*)(['"])((?:${vendored.map(literal).join('|')})(?:/[\\w./-]+)?)\\2`,
  'g',
);

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'vendor' ? [] : jsFiles(path);
    return /\.m?js$/.test(e.name) ? [path] : [];
  });
}

/** `drizzle-orm/pglite/migrator` → `drizzle-orm__pglite__migrator` (a bundle's file name). */
const bundleName = (spec) => spec.replaceAll('/', '__');

/**
 * zod's messages in English only. zod re-exports every language's messages (`z.locales`, half of
 * its code: 361 of 760 KB) and uses English unless told otherwise; Loupe never does. Parsing them
 * took ~10 ms of every database command's start.
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}zod${sep}`)
        ? { path: join(args.resolveDir, args.path), namespace: 'zod-english-only' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * Bundle every vendored import the compiled modules under `dist` make, and rewrite those imports.
 *
 * @example
 * await vendorPackages(`${root}dist`);
 */
export async function vendorPackages(dist) {
  const files = jsFiles(dist).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const used = new Set(files.flatMap(({ text }) => [...text.matchAll(specifiers)].map((m) => m[3])));
  const out = join(dist, 'vendor');
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(
      [...used].map((spec) => [bundleName(spec), fileURLToPath(import.meta.resolve(spec))]),
    ),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Their own imports of other packages (postgres, PGlite) stay imports.
    packages: 'external',
    outdir: out,
    logLevel: 'error',
    plugins: [englishOnly],
  });
  for (const { path, text } of files) {
    const rewritten = text.replace(specifiers, (_, lead, quote, spec) => {
      let to = relative(dirname(path), join(out, `${bundleName(spec)}.js`))
        .split(sep)
        .join('/');
      if (!to.startsWith('.')) to = `./${to}`;
      return `${lead}${quote}${to}${quote}`;
    });
    if (rewritten !== text) writeFileSync(path, rewritten);
  }
}
