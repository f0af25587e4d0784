import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return files(path);
    return /\.(ts|tsx|mjs|js)$/.test(name) ? [path] : [];
  });
}

/** `hono/jsx` → hono, `@slack/bolt/x` → @slack/bolt. */
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

it('declares every package the product uses, and uses every package it declares', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const declared = new Set(Object.keys(pkg.dependencies));
  const used = new Map<string, string>();
  let everything = '';
  for (const file of ['src', 'web', 'bot', 'bin', 'db'].flatMap(files)) {
    const text = readFileSync(join(root, file), 'utf8');
    everything += text;
    // imports, dynamic imports, and packages whose files are read from disk (packageDir, resolve).
    const specs =
      /^(?:import|export)\b[^;()=]*?\bfrom\s+'([^']+)'|^import\s+'([^']+)'|\b(?:import|packageDir|resolve)\('([^']+)'\)/gm;
    for (const m of text.matchAll(specs)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) continue;
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      used.set(packageOf(spec), file);
    }
  }
  const undeclared = [...used].filter(([p]) => !declared.has(p)).map(([p, f]) => `${p} (${f})`);
  expect(undeclared).toEqual([]);
  // A package read from disk by name (the board's vendored scripts) counts as used.
  expect([...declared].filter((p) => !used.has(p) && !everything.includes(`'${p}'`))).toEqual([]);
});
