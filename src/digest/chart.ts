import { Resvg } from '@resvg/resvg-js';
import { View, parse } from 'vega';
import { compile } from 'vega-lite';
import { CHART_FONT_FAMILY, chartFontFiles } from '../charts/font.ts';

/**
 * Render a Vega-Lite spec to PNG on the server: Vega's headless SVG renderer (no canvas), then
 * resvg with the font shipped in the package (never the system's: a slim image has none, and the
 * chart would lose its title, axes and legend without an error). `fontFiles: []` renders with no
 * font at all, which is what the test compares against.
 *
 * @example
 * const png = await renderVegaLitePng(digestChartSpec(…));
 */
export async function renderVegaLitePng(
  spec: Record<string, unknown>,
  { scale = 2, fontFiles = chartFontFiles() }: { scale?: number; fontFiles?: string[] } = {},
): Promise<Buffer> {
  // biome-ignore lint/suspicious/noExplicitAny: vega-lite's TopLevelSpec union is not worth mirroring here
  const { spec: vg } = compile(spec as any, {
    config: { font: CHART_FONT_FAMILY } as Record<string, unknown>,
  });
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    const svg = await view.toSVG(scale);
    const font = { fontFiles, loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY };
    return Buffer.from(new Resvg(svg, { font }).render().asPng());
  } finally {
    view.finalize();
  }
}
