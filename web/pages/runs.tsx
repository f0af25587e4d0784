import type { RunSummary } from '../../src/store/runs.ts';
import { runPath } from './layout.tsx';

function Change({ run }: { run: RunSummary }) {
  if (run.change === null) return <span class="muted">–</span>;
  const sign = run.change > 0 ? '+' : run.change < 0 ? '−' : '±';
  const cls = run.change > 0 ? 'up' : run.change < 0 ? 'down' : '';
  return (
    <span class={`change ${cls}`} title={`against ${run.previous}`}>
      {sign}
      {(Math.abs(run.change) * 100).toFixed(1)} pts vs {run.previous}
    </span>
  );
}

export function RunsPage({ runs }: { runs: RunSummary[] }) {
  return (
    <>
      <h1>Runs</h1>
      {runs.length === 0 ? (
        <p class="empty">
          No runs yet. Import one with <code>loupe ingest …</code>, or start with the demo data.
        </p>
      ) : (
        <table class="runs sortable">
          <thead>
            <tr>
              <th>run</th>
              <th>kind</th>
              <th>dataset</th>
              <th class="num">rows</th>
              <th class="num">labeled</th>
              <th class="num">unlabeled</th>
              <th class="num">headline</th>
              <th>change</th>
              <th>created</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr>
                <td>
                  <a href={runPath(r.name)}>{r.name}</a>
                </td>
                <td>{r.kind}</td>
                <td>{r.dataset}</td>
                <td class="num">{r.rows}</td>
                <td class="num">{r.labeled}</td>
                <td class="num">{r.unlabeled}</td>
                <td class="num" data-value={r.headline ? String(r.headline.value) : ''}>
                  {r.headline ? `${r.headline.metric} ${(r.headline.value * 100).toFixed(1)}%` : '–'}
                </td>
                <td>
                  <Change run={r} />
                </td>
                <td>{r.createdAt.slice(0, 16).replace('T', ' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
