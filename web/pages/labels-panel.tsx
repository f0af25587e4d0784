import type { RetrainEffect } from '../../src/analyze/retrain-effect.ts';
import { retrainBasis, retrainSide } from '../../src/digest/retrain.ts';
import type { LabelNoise } from '../../src/store/label-effects.ts';
import { pct } from './layout.tsx';
import { ExportLabelsForm } from './relabel.tsx';

export interface LabelsPanelData {
  run: string;
  kind: 'classification' | 'detection';
  /** The dataset's current label version. */
  version: number;
  /** The version the run's analysis was computed against. */
  evaluated: number;
  /** A re-evaluation is queued or running. */
  reevaluating: boolean;
  noise: LabelNoise | null;
  effect: RetrainEffect | null;
  csrf: string;
}

/**
 * The run overview's labels section: the label version the run was evaluated against (with a
 * re-evaluate button when the labels moved on), how much of the error was label noise (metric on
 * v1 vs the corrected labels), the retrain effect on the rows whose labels changed since the
 * previous run, and the labels download.
 */
export function LabelsPanel({ data }: { data: LabelsPanelData }) {
  const { noise, effect } = data;
  return (
    <section class="labels-panel">
      <h2>Labels</h2>
      <p>
        Labels v{data.version}
        {data.evaluated === data.version ? (
          <> · this run is evaluated against them</>
        ) : (
          <>
            {' '}
            · this run is evaluated against v{data.evaluated}{' '}
            {data.reevaluating ? (
              <span class="muted">(re-evaluation queued)</span>
            ) : (
              <form method="post" action={`/runs/${encodeURIComponent(data.run)}/reevaluate`} class="inline">
                <input type="hidden" name="_csrf" value={data.csrf} />
                <button type="submit">Re-evaluate against v{data.version}</button>
              </form>
            )}
          </>
        )}
      </p>
      {noise && noise.latest.version !== noise.first.version ? (
        <p class="label-noise">
          {noise.first.name} on labels v{noise.first.version}: {pct(noise.first.value)} → on labels v
          {noise.latest.version}: {pct(noise.latest.value)}
          {noise.noiseShare !== null ? (
            <>
              {' '}
              · <strong>{pct(noise.noiseShare)}</strong> of the model's error on v{noise.first.version} was
              label noise
            </>
          ) : null}
        </p>
      ) : null}
      {effect ? (
        <p class="retrain-effect">
          Retrain effect: labels of {effect.rows} row{effect.rows === 1 ? '' : 's'} changed since{' '}
          <a href={`/runs/${encodeURIComponent(effect.previous.name)}`}>{effect.previous.name}</a> (v
          {effect.fromVersion} → v{effect.toVersion}); {effect.measure === 'AP' ? 'COCOeval' : effect.measure}{' '}
          on those rows: {effect.previous.name} {retrainSide(effect, 'before')} → this run{' '}
          {retrainSide(effect, 'after')}
          {retrainBasis(effect) ? <span class="muted"> ({retrainBasis(effect)})</span> : null}
        </p>
      ) : null}
      <ExportLabelsForm run={data.run} kind={data.kind} version={data.version} />
    </section>
  );
}
