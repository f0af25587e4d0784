import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInRoot } from '../../src/media/paths.ts';
import { parseMediaRef } from '../../src/media/refs.ts';

describe('files only from inside a registered folder', () => {
  const base = mkdtempSync(join(tmpdir(), 'loupe-paths-'));
  const root = join(base, 'images');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'a.jpg'), 'a');
  writeFileSync(join(root, 'sub', 'b.jpg'), 'b');
  writeFileSync(join(base, 'secret.jpg'), 'secret');
  symlinkSync(join(base, 'secret.jpg'), join(root, 'leak.jpg'));
  symlinkSync(base, join(root, 'up'));
  symlinkSync(join(root, 'sub', 'b.jpg'), join(root, 'inside.jpg'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('resolves files in the folder and its subfolders, and symlinks that stay inside', async () => {
    expect(await resolveInRoot(root, 'a.jpg')).toMatch(/images\/a\.jpg$/);
    expect(await resolveInRoot(root, 'sub/b.jpg')).toMatch(/images\/sub\/b\.jpg$/);
    expect(await resolveInRoot(root, './sub/../a.jpg')).toBeNull(); // any `..` segment is refused
    expect(await resolveInRoot(root, 'inside.jpg')).toMatch(/images\/sub\/b\.jpg$/);
  });

  it.each([
    ['parent segment', '../secret.jpg'],
    ['nested parent segments', 'sub/../../secret.jpg'],
    ['absolute path', join(base, 'secret.jpg')],
    ['absolute /etc/passwd', '/etc/passwd'],
    ['backslash traversal', '..\\secret.jpg'],
    ['NUL byte', 'a.jpg\0.png'],
    ['symlink to a file outside', 'leak.jpg'],
    ['symlinked folder outside', 'up/secret.jpg'],
    ['the folder itself', '.'],
    ['empty', ''],
    ['missing file', 'nope.jpg'],
  ])('refuses %s', async (_name, rel) => {
    expect(await resolveInRoot(root, rel)).toBeNull();
  });

  it('takes percent-encoded traversal literally (a file named so), never decoding it', async () => {
    expect(await resolveInRoot(root, '%2e%2e/secret.jpg')).toBeNull();
    expect(await resolveInRoot(root, '..%2fsecret.jpg')).toBeNull();
  });

  it('reads stored image references, refusing unsafe ones', () => {
    expect(parseMediaRef('root:3/sub/b.jpg')).toEqual({ kind: 'file', rootId: 3, path: 'sub/b.jpg' });
    expect(parseMediaRef('http://images.cocodataset.org/val2014/x.jpg')).toEqual({
      kind: 'remote',
      url: 'http://images.cocodataset.org/val2014/x.jpg',
    });
    expect(parseMediaRef('/media/digits/1.svg')).toEqual({ kind: 'site', path: '/media/digits/1.svg' });
    for (const bad of ['javascript:alert(1)', '//evil.example/x.png', '/\\evil', 'root:0/a.jpg', 'ftp://x/y'])
      expect(parseMediaRef(bad), bad).toBeNull();
  });
});
