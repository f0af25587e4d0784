import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
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
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {}
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
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
