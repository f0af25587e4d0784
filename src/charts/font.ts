import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The family every server-rendered chart is drawn in: shipped with the package, never looked up. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

/**
 * The chart font's files, from the `dejavu-fonts-ttf` package. Slim container images have no
 * system fonts at all, and resvg then draws no text without a word of warning, so the renderer
 * loads these and nothing else.
 *
 * @example
 * new Resvg(svg, { font: { fontFiles: chartFontFiles(), loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY } });
 */
export function chartFontFiles(): string[] {
  const dir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return [join(dir, 'DejaVuSans.ttf'), join(dir, 'DejaVuSans-Bold.ttf')];
}
