import type { CalibrationBin } from '../metrics/classification-calibration.ts';
import type { VegaLiteSpec } from './per-class.ts';

/**
 * A reliability diagram: accuracy against mean confidence per bin, with the diagonal of perfect
 * calibration; empty bins are left out (they have no accuracy to plot).
 *
 * @example
 * const spec = calibrationSpec(metrics.calibration, { ece: metrics.ece });
 */
export function calibrationSpec(
  bins: CalibrationBin[],
  { ece = null, size = 300 }: { ece?: number | null; size?: number } = {},
): VegaLiteSpec {
  const points = bins
    .filter((b) => b.count > 0 && b.accuracy !== null && b.confidence !== null)
    .map((b) => ({
      bin: b.bin,
      lower: b.lower,
      upper: b.upper,
      count: b.count,
      accuracy: b.accuracy,
      confidence: b.confidence,
      gap: (b.confidence as number) - (b.accuracy as number),
    }));
  const axis = { scale: { domain: [0, 1] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'Calibration: accuracy against confidence per bin',
    title: ece === null ? 'Calibration' : `Calibration (ECE ${ece.toFixed(3)})`,
    width: size,
    height: size,
    layer: [
      {
        data: {
          values: [
            { confidence: 0, accuracy: 0 },
            { confidence: 1, accuracy: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: {
          x: { field: 'confidence', type: 'quantitative', ...axis },
          y: { field: 'accuracy', type: 'quantitative', ...axis },
        },
      },
      {
        data: { values: points },
        mark: { type: 'bar', opacity: 0.35, color: '#4c78a8' },
        encoding: {
          x: { field: 'lower', type: 'quantitative', title: 'confidence', ...axis },
          x2: { field: 'upper' },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', ...axis },
        },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: true, color: '#e45756' },
        encoding: {
          x: { field: 'confidence', type: 'quantitative', ...axis },
          y: { field: 'accuracy', type: 'quantitative', ...axis },
          tooltip: [
            { field: 'lower', type: 'quantitative', title: 'from', format: '.2f' },
            { field: 'upper', type: 'quantitative', title: 'to', format: '.2f' },
            { field: 'count', type: 'quantitative', title: 'rows' },
            { field: 'confidence', type: 'quantitative', title: 'mean confidence', format: '.3f' },
            { field: 'accuracy', type: 'quantitative', title: 'accuracy', format: '.3f' },
          ],
        },
      },
    ],
  };
}
