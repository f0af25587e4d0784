import cliProgress from 'cli-progress';
import type { Progress } from '../progress.ts';
import type { CliIo } from './context.ts';

export interface CliProgress extends Progress {
  /** Clear the bar (or end the lines); call when the work ends, however it ends. */
  stop(): void;
}

/**
 * Progress for a CLI command, on stderr only (stdout stays the result, e.g. one JSON document):
 * a cli-progress bar when stderr is a terminal, plain lines otherwise. Work that ends within
 * `quietMs` shows nothing, so small imports print exactly their result.
 *
 * @example
 * const progress = cliProgressFor(ctx.io);
 * try { await ingestClassification(deps, { ...opts, progress }); } finally { progress.stop(); }
 */
export function cliProgressFor(
  io: CliIo,
  {
    quietMs = 1500,
    lineEveryMs = 5000,
    now = () => Date.now(),
  }: { quietMs?: number; lineEveryMs?: number; now?: () => number } = {},
): CliProgress {
  const started = now();
  let name = '';
  let total: number | null = null;
  let done = 0;
  let bar: cliProgress.SingleBar | null = null;
  let lastLine = 0;
  let lastTenth = -1;
  let timer: NodeJS.Timeout | null = null;

  // Set by the quiet-time timer too: a timer may fire a millisecond before the clock says so.
  let quietOver = false;
  const visible = () => {
    if (!quietOver && now() - started >= quietMs) quietOver = true;
    return quietOver;
  };
  const describe = () =>
    total
      ? `${name} ${Math.floor((100 * done) / total)}% (${done}/${total})`
      : done
        ? `${name} (${done})`
        : `${name}…`;

  const drawBar = () => {
    if (!bar) {
      bar = new cliProgress.SingleBar(
        {
          format: total
            ? '{step} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}'
            : '{step}… {value}',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, done, { step: name });
    } else bar.update(done, { step: name });
  };
  const printLine = (force: boolean) => {
    const tenth = total ? Math.floor((10 * done) / total) : -1;
    if (!force && tenth === lastTenth && now() - lastLine < lineEveryMs) return;
    lastTenth = tenth;
    lastLine = now();
    io.err(`loupe: ${describe()}\n`);
  };
  const show = (force: boolean) => {
    if (io.progress === 'off' || !visible()) return;
    if (io.progress === 'bar') drawBar();
    else printLine(force);
  };
  const endBar = () => {
    bar?.stop();
    bar = null;
  };

  return {
    step(next, size = null) {
      endBar();
      name = next;
      total = size;
      done = 0;
      lastTenth = -1;
      if (timer) clearTimeout(timer);
      timer = null;
      if (visible()) show(true);
      else {
        // A step with no updates (a server working) still shows once the quiet time is over; a
        // step begun after it shows at once, and only once.
        timer = setTimeout(
          () => {
            quietOver = true;
            show(true);
          },
          quietMs - (now() - started),
        );
        timer.unref();
      }
    },
    update(n) {
      done = n;
      show(false);
    },
    stop() {
      if (timer) clearTimeout(timer);
      endBar();
    },
  };
}
