// The folders the CLI is compiled from, and the newest modification time among their files: the one
// definition shared by the build (which stamps dist/) and the bin (which checks the stamp).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const roots = ['db', 'src', 'bot', 'web', 'bin'];

/** Newest mtime (ms) of any file under the source roots, plus package.json and tsconfig.json. */
export function newestSource(root) {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of roots) visit(join(root, dir));
  for (const file of ['package.json', 'tsconfig.json'])
    newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}
