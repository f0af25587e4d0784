import type { Box, Scene, ShapeClass } from './scene.ts';

const r2 = (v: number) => Math.round(v * 100) / 100;

function pentagram(): [number, number][] {
  const points: [number, number][] = [];
  for (let k = 0; k < 10; k++) {
    const radius = k % 2 === 0 ? 1 : 0.381966; // inner/outer radius of a regular pentagram: 1/φ²
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    points.push([radius * Math.cos(angle), radius * Math.sin(angle)]);
  }
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return points.map(([x, y]) => [(x - x0) / (x1 - x0), (y - y0) / (y1 - y0)]);
}

/** Each polygon's corners in the unit square; scaled into a box they touch all four sides, so the box is tight. */
const UNIT_POLYGONS: Partial<Record<ShapeClass, [number, number][]>> = {
  triangle: [
    [0.5, 0],
    [1, 1],
    [0, 1],
  ],
  star: pentagram(),
  cross: [
    [1 / 3, 0],
    [2 / 3, 0],
    [2 / 3, 1 / 3],
    [1, 1 / 3],
    [1, 2 / 3],
    [2 / 3, 2 / 3],
    [2 / 3, 1],
    [1 / 3, 1],
    [1 / 3, 2 / 3],
    [0, 2 / 3],
    [0, 1 / 3],
    [1 / 3, 1 / 3],
  ],
};

function shapeElement(shape: ShapeClass, [x, y, w, h]: Box, fill: string): string {
  if (shape === 'circle')
    return `<ellipse cx="${r2(x + w / 2)}" cy="${r2(y + h / 2)}" rx="${r2(w / 2)}" ry="${r2(h / 2)}" fill="${fill}"/>`;
  if (shape === 'square') return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${fill}"/>`;
  const points = (UNIT_POLYGONS[shape] ?? []).map(([u, v]) => `${r2(x + u * w)},${r2(y + v * h)}`).join(' ');
  return `<polygon points="${points}" fill="${fill}"/>`;
}

/**
 * A scene as SVG, every shape filling its ground-truth box exactly. Only numbers and the
 * generator's own palette go in, so there is nothing to escape.
 *
 * @example
 * const svg = renderSceneSvg(generateScene(1, { seed: DEMO_SEED }));
 */
export function renderSceneSvg(scene: Scene): string {
  const body = scene.shapes.map((s) => shapeElement(s.shape, s.bbox, s.fill)).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">` +
    `<rect width="${scene.width}" height="${scene.height}" fill="${scene.background}"/>${body}</svg>`
  );
}
