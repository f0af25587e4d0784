import { count, eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { embeddings } from '../../db/schema.ts';
import { loadDemo } from '../../src/demo/load.ts';
import { DEMO_SEED, SHAPES_DEMO } from '../../src/demo/settings.ts';
import { buildShapesDemo } from '../../src/demo/shapes/demo.ts';
import { SHAPE_CLASSES } from '../../src/demo/shapes/scene.ts';
import { computeProjection } from '../../src/projection/compute.ts';
import { listProjection } from '../../src/store/projections.ts';
import { findRun } from '../../src/store/run-lookup.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

describeEachDriver('the detection demo on the projector', (ctx) => {
  const shapes = buildShapesDemo({ seed: DEMO_SEED });
  const names = new Map(shapes.gt.categories.map((c) => [c.id, c.name]));
  const gtNames = new Map<string, Set<string>>(shapes.gt.images.map((i) => [String(i.id), new Set()]));
  for (const a of shapes.gt.annotations) gtNames.get(String(a.image_id))?.add(names.get(a.category_id) ?? '');
  const detected = new Set(shapes.runs.v1.results.map((r) => String(r.image_id)));

  it('stores an embedding for every image of both shapes runs', async () => {
    const deps = testDeps(ctx().database);
    await loadDemo(deps);
    for (const name of Object.values(SHAPES_DEMO.runs)) {
      const run = await findRun(deps.db, name);
      if (!run) throw new Error(`no run ${name}`);
      const [{ n }] = await deps.db
        .select({ n: count() })
        .from(embeddings)
        .where(eq(embeddings.runId, run.id));
      expect(n, name).toBe(120);
    }
  });

  it('computes and lists a map of shapes-detector-v1 with every image, its gt and predicted class', async () => {
    const deps = testDeps(ctx().database);
    const run = await findRun(deps.db, SHAPES_DEMO.runs.v1);
    if (!run) throw new Error('no run shapes-detector-v1');
    const result = await computeProjection(deps, run.id, { seed: 1 });
    expect(result.rowIds).toHaveLength(120);
    expect(result.fitted.every(Boolean)).toBe(true);

    const { points } = await listProjection(deps.db, run.id);
    expect(points.map((p) => p.id).sort()).toEqual(shapes.gt.images.map((i) => String(i.id)).sort());
    const classes: (string | null)[] = [...SHAPE_CLASSES, null];
    for (const p of points) {
      expect(Number.isFinite(p.x) && Number.isFinite(p.y), p.id).toBe(true);
      const given = gtNames.get(p.id) ?? new Set();
      // label: the gt class of the image's worst disagreement — one of its gt classes, null without gt.
      if (given.size === 0) expect(p.label, p.id).toBeNull();
      else expect(given.has(p.label ?? ''), `${p.id}: ${p.label}`).toBe(true);
      expect(classes).toContain(p.predicted);
      expect(p.predicted === null, p.id).toBe(!detected.has(p.id));
      // An image with neither boxes nor detections is a row like any other: labeled, and right.
      if (given.size === 0 && !detected.has(p.id)) expect(p.correct, p.id).toBe(true);
    }
    // The demo has images without ground truth, whose null label must not break listing.
    expect(points.filter((p) => p.label === null).length).toBeGreaterThan(0);
    expect(points.filter((p) => p.label !== null).length).toBeGreaterThan(100);
  });
});
