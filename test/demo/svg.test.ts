import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { digitGrey, renderDigitSvg } from '../../src/demo/digit-svg.ts';
import { digitPixels, readDigits } from '../../src/demo/digits.ts';
import { DEMO_SEED } from '../../src/demo/settings.ts';
import { generateScene } from '../../src/demo/shapes/scene.ts';
import { renderSceneSvg } from '../../src/demo/shapes/svg.ts';

/** Rasterise with resvg (which refuses malformed SVG) and return RGBA pixels. */
function rasterise(svg: string, width: number) {
  const image = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    font: { loadSystemFonts: false },
  }).render();
  return { pixels: image.pixels, width: image.width, height: image.height };
}

const hex = (pixels: Buffer, i: number) =>
  `#${[0, 1, 2].map((c) => pixels[i * 4 + c].toString(16).padStart(2, '0')).join('')}`;

describe('digit SVG', () => {
  it('maps ink 0–16 to greys from white to black', () => {
    expect(digitGrey(0)).toBe('#ffffff');
    expect(digitGrey(16)).toBe('#000000');
    expect(digitGrey(8)).toBe('#808080'); // 255 × 8/16 = 127.5 → 128
    expect(digitGrey(4)).toBe('#bfbfbf'); // 255 × 12/16 = 191.25 → 191
  });

  it('renders one crisp square per pixel: rasterised at 8 px, each pixel is its grey', () => {
    const levels = Array.from({ length: 64 }, (_, i) => i % 17);
    const svg = renderDigitSvg(levels);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128"')).toBe(true);
    const { pixels, width, height } = rasterise(svg, 8);
    expect([width, height]).toEqual([8, 8]);
    levels.forEach((level, i) => {
      expect(hex(pixels, i)).toBe(digitGrey(level));
    });
  });

  it('draws the bundled first digit as valid SVG scaled 16×', () => {
    const first = digitPixels(readDigits(), 0);
    const { pixels, width } = rasterise(renderDigitSvg(first), 128);
    expect(width).toBe(128);
    // Centre of pixel (row 1, column 3), level 15 in the CSV.
    expect(first[1 * 8 + 3]).toBe(15);
    expect(hex(pixels, (1 * 16 + 8) * 128 + 3 * 16 + 8)).toBe(digitGrey(15));
  });

  it('refuses pixels outside 0–16 or the wrong count', () => {
    expect(() => renderDigitSvg(new Array(63).fill(0))).toThrow(/expected 64 pixels/);
    expect(() => renderDigitSvg([17, ...new Array(63).fill(0)])).toThrow(/pixel 0 must be an integer 0–16/);
  });
});

describe('scene SVG', () => {
  it('is valid SVG whose shapes sit in their ground-truth boxes', () => {
    let squares = 0;
    for (let id = 1; id <= 30; id++) {
      const scene = generateScene(id, { seed: DEMO_SEED });
      const svg = renderSceneSvg(scene);
      expect(svg).not.toMatch(/<script|on\w+=|href/i);
      const { pixels, width } = rasterise(svg, 256);
      expect(width).toBe(256);
      if (!scene.shapes.some((s) => s.bbox[0] === 0 && s.bbox[1] === 0))
        expect(hex(pixels, 0)).toBe(scene.background);
      for (const s of scene.shapes) {
        const [x, y, w, h] = s.bbox;
        const at = (px: number, py: number) => hex(pixels, Math.floor(py) * 256 + Math.floor(px));
        // Every shape covers its box centre (the cross and star too) and leaves pixels just outside its box alone.
        expect(at(x + w / 2, y + h / 2)).toBe(s.fill);
        if (s.shape === 'square') {
          squares++;
          expect(at(x + 1, y + 1)).toBe(s.fill);
          expect(at(x + w - 1, y + h - 1)).toBe(s.fill);
        }
        if (x >= 2 && y >= 2) expect(at(x - 2, y - 2)).toBe(scene.background);
      }
    }
    expect(squares).toBeGreaterThan(0);
  });
});
