import type { Child } from 'hono/jsx';
import { JOB_NAMES } from '../../src/jobs/names.ts';
import type { PendingWork } from '../../src/store/jobs.ts';

/** "projection 45%", "analysis queued", "analysis retrying": what a pending job is doing. */
export function pendingLabel(job: PendingWork): string {
  const name = JOB_NAMES[job.kind] ?? job.kind;
  if (job.state === 'running') return `${name} ${Math.floor(job.progress * 100)}%`;
  return `${name} ${job.error ? 'retrying' : 'queued'}`;
}

export interface LayoutProps {
  title: string;
  /** The session's CSRF token; the client script sends it with every POST. */
  csrf?: string;
  user?: string;
  /** The signed-in user's Slack name (their id stays in `user`, shown on hover). */
  userName?: string;
  /** Run sub-navigation: the run name, which tab is active, and the run's unfinished jobs. */
  run?: { name: string; kind: string; active: RunTab; pending?: PendingWork[] };
  /** Load the chart libraries (vega, vega-lite, vega-embed, the CSP-safe interpreter). */
  charts?: boolean;
  /** Extra same-origin scripts. */
  scripts?: string[];
  playground?: boolean;
  children?: Child;
}

export type RunTab =
  | 'overview'
  | 'gallery'
  | 'objects'
  | 'mislabels'
  | 'uncertain'
  | 'projector'
  | 'similar'
  | 'compare'
  | null;

export const runPath = (run: string, tab = '') => `/runs/${encodeURIComponent(run)}${tab ? `/${tab}` : ''}`;

const VEGA_SCRIPTS = [
  '/static/vendor/vega.min.js',
  '/static/vendor/vega-lite.min.js',
  '/static/vendor/vega-embed.min.js',
  '/static/vendor/vega-interpreter.js',
];

export function Layout({
  title,
  csrf,
  user,
  userName,
  run,
  charts,
  scripts = [],
  playground,
  children,
}: LayoutProps) {
  const tabs: [Exclude<RunTab, null | 'similar'>, string][] = [
    ['overview', 'Overview'],
    ['gallery', 'Errors'],
    ...(run?.kind === 'detection' ? [['objects', 'Objects'] as [RunTab & 'objects', string]] : []),
    ['mislabels', 'Suspected mislabels'],
    ['uncertain', 'Uncertain'],
    ['projector', 'Projector'],
    ['compare', 'Compare'],
  ];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {csrf ? <meta name="csrf-token" content={csrf} /> : null}
        <title>{`${title} · Loupe`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/board.css" />
        {charts ? VEGA_SCRIPTS.map((src) => <script src={src} defer />) : null}
        <script src="/static/board.js" defer />
        <script src="/static/relabel.js" defer />
        {scripts.map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            Loupe
          </a>
          <nav>
            <a href="/">Runs</a>
            <a href="/batches">Batches</a>
            <a href="/rework">Rework queue</a>
            {playground ? <a href="/playground">Playground</a> : null}
          </nav>
          {user ? (
            <span class="user" title={userName ? user : undefined}>
              signed in as {userName ?? user}
            </span>
          ) : null}
        </header>
        {run ? (
          <nav class="tabs">
            <strong>{run.name}</strong>
            <span class="muted">{run.kind}</span>
            {tabs.map(([tab, label]) => (
              <a
                href={tab === 'overview' ? runPath(run.name) : runPath(run.name, tab)}
                class={run.active === tab ? 'active' : ''}
              >
                {label}
              </a>
            ))}
            {run.pending?.length ? (
              <span class="pending" title="Results still being computed: reload to see them">
                {run.pending.map(pendingLabel).join(' · ')}
              </span>
            ) : null}
          </nav>
        ) : null}
        <main>{children}</main>
      </body>
    </html>
  );
}

/** Format a share as a percentage with one decimal ("97.3%"), or a dash. */
export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(digits)}%`;
}

export function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}
