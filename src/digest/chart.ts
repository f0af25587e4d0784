import { Resvg } from '@resvg/resvg-js';
import { View, parse } from 'vega';
import { compile } from 'vega-lite';

/**
 * Render a Vega-Lite spec to PNG on the server: Vega's headless SVG renderer (no canvas), then
 * resvg with the system fonts.
 *
 * @example
 * const png = await renderVegaLitePng(digestChartSpec(…));
 */
export async function renderVegaLitePng(spec: Record<string, unknown>, { scale = 2 } = {}): Promise<Buffer> {
  // biome-ignore lint/suspicious/noExplicitAny: vega-lite's TopLevelSpec union is not worth mirroring here
  const { spec: vg } = compile(spec as any);
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    const svg = await view.toSVG(scale);
    return Buffer.from(new Resvg(svg, { font: { loadSystemFonts: true } }).render().asPng());
  } finally {
    view.finalize();
  }
}
