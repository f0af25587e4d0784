import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDigitsDemo } from './digits-demo.ts';
import { DIGITS_FILES, DIGIT_CLASS_NAMES } from './digits.ts';
import { encodeNpy } from '../ingest/npy.ts';
import { buildShapesDemo } from './shapes/demo.ts';
import { SHAPE_EMBEDDING_DIM } from './shapes/embedding.ts';

export interface DemoFiles {
  digits: { table: string; embeddings: string; classNames: string };
  shapes: { gt: string; v1: string; v2: string; embeddings: string };
}

/**
 * Write the demo as the files users hold — digits as a JSONL table (label null for the pool)
 * plus embeddings `.npy` and a class-name list; shapes as COCO `instances.json`, one
 * `results.json` per detector and `embeddings.npy` (rows in `images` order) — into `dir`.
 * Same seed, byte-identical files.
 *
 * @example
 * const files = writeDemoFiles(await mkdtemp(join(tmpdir(), 'loupe-demo-')), { seed: DEMO_SEED });
 */
export function writeDemoFiles(dir: string, { seed }: { seed: number }): DemoFiles {
  const digitsDir = join(dir, 'digits');
  const shapesDir = join(dir, 'shapes');
  mkdirSync(digitsDir, { recursive: true });
  mkdirSync(shapesDir, { recursive: true });

  const digits = buildDigitsDemo({ seed });
  const files: DemoFiles = {
    digits: {
      table: join(digitsDir, 'digits.jsonl'),
      embeddings: join(digitsDir, 'embeddings.npy'),
      classNames: join(digitsDir, 'classes.txt'),
    },
    shapes: {
      gt: join(shapesDir, 'instances.json'),
      v1: join(shapesDir, 'results-v1.json'),
      v2: join(shapesDir, 'results-v2.json'),
      embeddings: join(shapesDir, 'embeddings.npy'),
    },
  };
  writeFileSync(files.digits.table, digits.rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  copyFileSync(DIGITS_FILES.embeddings, files.digits.embeddings);
  writeFileSync(files.digits.classNames, `${DIGIT_CLASS_NAMES.join('\n')}\n`);

  const shapes = buildShapesDemo({ seed });
  writeFileSync(files.shapes.gt, JSON.stringify(shapes.gt));
  writeFileSync(files.shapes.v1, JSON.stringify(shapes.runs.v1.results));
  writeFileSync(files.shapes.v2, JSON.stringify(shapes.runs.v2.results));
  writeFileSync(
    files.shapes.embeddings,
    encodeNpy(shapes.embeddings, [shapes.scenes.length, SHAPE_EMBEDDING_DIM]),
  );
  return files;
}
