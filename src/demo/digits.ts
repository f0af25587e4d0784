import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The bundled copy of the UCI digits (see src/demo/digits/README.md for its licence). */
export const DIGITS_FILES = {
  csv: fileURLToPath(new URL('./digits/digits.csv.gz', import.meta.url)),
  probs: fileURLToPath(new URL('./digits/pred_probs.npy', import.meta.url)),
  embeddings: fileURLToPath(new URL('./digits/embeddings.npy', import.meta.url)),
};

export const DIGIT_SIDE = 8;
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;
export const DIGIT_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface DigitsData {
  count: number;
  /** count × 64 grey levels 0–16, row-major 8×8 per image. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * Parse the digits CSV (64 pixels 0–16, then the label 0–9; no header), gzipped or not.
 * A bad line throws with the file, line and field.
 *
 * @example
 * const { count, pixels, labels } = readDigits();
 */
export function readDigits(path: string = DIGITS_FILES.csv): DigitsData {
  const raw = readFileSync(path);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').filter((l, i, all) => l.trim() !== '' || i < all.length - 1);
  const pixels = new Uint8Array(lines.length * DIGIT_PIXELS);
  const labels = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const cells = line.trim().split(',');
    const where = `${path}:${i + 1}`;
    if (cells.length !== DIGIT_PIXELS + 1)
      throw new Error(`${where}: expected ${DIGIT_PIXELS + 1} comma-separated values, found ${cells.length}`);
    cells.forEach((cell, j) => {
      const v = Number(cell);
      const max = j < DIGIT_PIXELS ? 16 : 9;
      if (!/^\d+$/.test(cell) || v > max) {
        const field = j < DIGIT_PIXELS ? `pixel ${j}` : 'label';
        throw new Error(`${where}: ${field} must be an integer 0–${max}, found '${cell}'`);
      }
      if (j < DIGIT_PIXELS) pixels[i * DIGIT_PIXELS + j] = v;
      else labels[i] = v;
    });
  });
  return { count: lines.length, pixels, labels };
}

/** The 64 grey levels of one image. */
export function digitPixels(data: DigitsData, index: number): Uint8Array {
  return data.pixels.subarray(index * DIGIT_PIXELS, (index + 1) * DIGIT_PIXELS);
}
