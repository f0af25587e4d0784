import { DIGIT_SIDE } from './digits.ts';

/** The grey of a 0–16 ink level: 0 is white paper, 16 black ink (as matplotlib's gray_r shows them). */
export function digitGrey(level: number): string {
  const v = Math.round((255 * (16 - level)) / 16);
  const hex = v.toString(16).padStart(2, '0');
  return `#${hex}${hex}${hex}`;
}

/**
 * An 8×8 digit as a crisp SVG: one unit square per pixel in a 0 0 8 8 viewBox, drawn `scale`
 * px per pixel. Everything in it is a number from the bundled data, so nothing needs escaping.
 *
 * @example
 * const svg = renderDigitSvg(digitPixels(readDigits(), 0));
 */
export function renderDigitSvg(pixels: ArrayLike<number>, { scale = 16 }: { scale?: number } = {}): string {
  if (pixels.length !== DIGIT_SIDE * DIGIT_SIDE)
    throw new Error(`renderDigitSvg: expected ${DIGIT_SIDE * DIGIT_SIDE} pixels, got ${pixels.length}`);
  const size = DIGIT_SIDE * scale;
  const cells: string[] = [];
  for (let i = 0; i < pixels.length; i++) {
    const level = pixels[i];
    if (!Number.isInteger(level) || level < 0 || level > 16)
      throw new Error(`renderDigitSvg: pixel ${i} must be an integer 0–16, got ${level}`);
    if (level === 0) continue;
    cells.push(
      `<rect x="${i % DIGIT_SIDE}" y="${Math.floor(i / DIGIT_SIDE)}" width="1" height="1" fill="${digitGrey(level)}"/>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${DIGIT_SIDE} ${DIGIT_SIDE}" shape-rendering="crispEdges">` +
    `<rect width="${DIGIT_SIDE}" height="${DIGIT_SIDE}" fill="#ffffff"/>${cells.join('')}</svg>`
  );
}
