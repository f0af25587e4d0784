// Loaded with `node --import` by the CLI bench: at exit, the process's peak RSS (KiB) and its CPU
// time (ms, user + system, all threads) go to the file named by LOUPE_RSS_PROBE, so the bench
// measures the command itself, not a wrapper.
import { writeFileSync } from 'node:fs';

const file = process.env.LOUPE_RSS_PROBE;
if (file)
  process.on('exit', () => {
    const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(file, `${maxRSS} ${(userCPUTime + systemCPUTime) / 1000}`);
  });
