import { join } from 'node:path';
import sharp from 'sharp';

/**
 * `n` distinct JPEG photos-to-be (a coloured field with a white disc) named `<i>.jpg` in `dir`,
 * eight made at a time: the image folders of the media and board benchmarks.
 *
 * @example
 * await writeJpegs('/tmp/images', 1000); // 0.jpg … 999.jpg, 640 × 480
 */
export async function writeJpegs(dir: string, n: number, { width = 640, height = 480 } = {}): Promise<void> {
  for (let i = 0; i < n; i += 8)
    await Promise.all(
      Array.from({ length: Math.min(8, n - i) }, (_, j) => {
        const id = i + j;
        return sharp({
          create: {
            width,
            height,
            channels: 3,
            background: { r: id % 256, g: (id * 7) % 256, b: (id * 13) % 256 },
          },
        })
          .composite([
            {
              input: Buffer.from(
                `<svg width="${width}" height="${height}"><circle cx="${100 + (id % 400)}" cy="${height / 2}" r="90" fill="#fff"/></svg>`,
              ),
            },
          ])
          .jpeg({ quality: 85 })
          .toFile(join(dir, `${id}.jpg`));
      }),
    );
}
