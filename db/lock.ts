import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one process, one connection: a second process on the same folder corrupts it.
 * Take an exclusive lock file naming our pid; a lock left by a dead process is taken over.
 * Returns the release function.
 */
export function acquireDataLock(dataDir: string): () => void {
  const path = join(dataDir, 'loupe.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (lockPid(readFileSync(path, 'utf8')) === process.pid) unlinkSync(path);
        } catch {}
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = lockPid(readFileSync(path, 'utf8'));
      if (Number.isFinite(holder) && holder !== process.pid && alive(holder)) {
        throw new Error(
          `The data folder ${dataDir} is in use by process ${holder} (lock file ${path}). ` +
            'The embedded database allows one process at a time: stop that process (e.g. the running `loupe serve`), ' +
            'or set DATABASE_URL to use Postgres, which many processes can share.',
        );
      }
      unlinkSync(path);
    }
  }
  throw new Error(`Could not take the lock ${path}`);
}

/** The lock file: the holder's pid on the first line; a serving process adds a JSON line. */
function lockPid(text: string): number {
  return Number.parseInt(text.split('\n')[0].trim(), 10);
}

/** What a running `loupe serve` tells other processes on the same data folder. */
export interface LockServer {
  /** Loopback base URL of its HTTP API. */
  url: string;
  /** Per-process key the CLI presents to hand work over (the lock file is readable by its owner only). */
  key: string;
}

/**
 * Record, in the lock this process holds, where it serves: commands started while it runs hand
 * their work to it instead of failing on the lock. Written atomically with owner-only access.
 *
 * @example
 * recordLockServer(dataDir, { url: 'http://127.0.0.1:3000', key });
 */
export function recordLockServer(dataDir: string, server: LockServer): void {
  const path = join(dataDir, 'loupe.lock');
  if (lockPid(readFileSync(path, 'utf8')) !== process.pid)
    throw new Error(`${path} is not held by this process`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n${JSON.stringify(server)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** The live `serve` holding the data folder's lock, or null (no lock, a dead holder, or not a server). */
export function readLockServer(dataDir: string): (LockServer & { pid: number }) | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'loupe.lock'), 'utf8');
  } catch {
    return null;
  }
  const pid = lockPid(text);
  const line = text.split('\n')[1]?.trim();
  if (!Number.isFinite(pid) || !line || !alive(pid)) return null;
  try {
    const { url, key } = JSON.parse(line) as Partial<LockServer>;
    return typeof url === 'string' && typeof key === 'string' ? { pid, url, key } : null;
  } catch {
    return null;
  }
}
