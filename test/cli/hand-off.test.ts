import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { acquireDataLock, readLockServer, recordLockServer } from '../../db/lock.ts';
import { absolutePaths, handsOff } from '../../src/cli/hand-off.ts';

const dir = mkdtempSync(join(tmpdir(), 'loupe-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('records where the holder serves, readable by its owner only, and forgets it on release', () => {
  const release = acquireDataLock(dir);
  expect(readLockServer(dir)).toBeNull();
  recordLockServer(dir, { url: 'http://127.0.0.1:4321', key: 'k'.repeat(64) });
  expect(readLockServer(dir)).toEqual({
    pid: process.pid,
    url: 'http://127.0.0.1:4321',
    key: 'k'.repeat(64),
  });
  expect(statSync(join(dir, 'loupe.lock')).mode & 0o777).toBe(0o600);
  // Releasing removes the lock, server line and all.
  release();
  expect(readLockServer(dir)).toBeNull();
});

it('ignores a server line left by a process that is gone', () => {
  // 2^22 + 1 is above the largest pid Linux can hand out, so no live process has it.
  writeFileSync(
    join(dir, 'loupe.lock'),
    `4194305\n${JSON.stringify({ url: 'http://127.0.0.1:1', key: 'x' })}\n`,
  );
  expect(readLockServer(dir)).toBeNull();
  const release = acquireDataLock(dir);
  release();
});

it('hands a command over with the files it writes named absolutely', () => {
  expect(absolutePaths(['batch', 'export', 'b1', '--out', 'b1.csv'], '/home/me')).toEqual([
    'batch',
    'export',
    'b1',
    '--out',
    '/home/me/b1.csv',
  ]);
  expect(absolutePaths(['batch', 'export', 'b1', '-o=x/b.csv', '--format', 'csv'], '/w')).toEqual([
    'batch',
    'export',
    'b1',
    '-o=/w/x/b.csv',
    '--format',
    'csv',
  ]);
  expect(handsOff(['runs', '--json'])).toBe(true);
  expect(handsOff(['ingest', 'coco'])).toBe(false);
  expect(handsOff(['serve'])).toBe(false);
  expect(handsOff(['metrics', '--help'])).toBe(false);
});
