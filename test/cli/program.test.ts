import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { createProgram } from '../../src/cli/program.ts';

const root = join(import.meta.dirname, '../..');
const program = (io: CliIo = { out: () => {}, err: () => {}, fail: () => {}, progress: 'off' }) =>
  createProgram({
    io,
    withDeps: () => {
      throw new Error('no database in this test');
    },
    localServer: () => null,
  });

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|tsx|md)$/.test(name) ? [path] : [];
  });
}

it('every `loupe <command>` a message or doc tells people to run exists', () => {
  const commands = new Set([...program().commands.map((c) => c.name()), 'serve', 'worker']);
  const named: string[] = [];
  for (const file of [...sources('bot'), ...sources('web'), ...sources('src'), 'README.md']) {
    const text = readFileSync(join(root, file), 'utf8');
    // `/loupe x` is the Slack command; the CLI is named without the slash.
    for (const m of text.matchAll(/(?<![/@\w])loupe ([a-z][a-z-]*)/g)) {
      if (!commands.has(m[1])) named.push(`${file}: loupe ${m[1]}`);
    }
  }
  expect(named).toEqual([]);
});

it('answers --version with the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  let out = '';
  const p = program({ out: (s) => (out += s), err: () => {}, fail: () => {}, progress: 'off' });
  await expect(p.parseAsync(['--version'], { from: 'user' })).rejects.toMatchObject({
    code: 'commander.version',
  });
  expect(out).toBe(`${version}\n`);
});

it('stops quietly when its reader closes the pipe (`loupe … | head`)', async () => {
  const script = `
    import { exitOnClosedPipe } from './src/cli/program.ts';
    exitOnClosedPipe(process.stdout);
    const line = 'x'.repeat(1000) + '\\n';
    const more = () => { while (process.stdout.write(line)); process.stdout.once('drain', more); };
    more();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise((resolve) => child.on('exit', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
});
