import { type DecodedObjects, decodedBytes } from './object-pack.ts';

/**
 * A process's decoded runs (src/store/objects.ts decodes them once per write), newest use last,
 * within `maxBytes` (a run larger than that is still kept alone). An entry is good while its
 * generation is the one stored; entries are per database handle, as their run ids are.
 */
export interface ObjectCache {
  /**
   * The decoded run at `generation`: the kept one while its generation is that, else `load()`'s,
   * kept in its place (a failed load is not kept).
   */
  get(
    db: object,
    runId: number,
    generation: number,
    load: () => Promise<DecodedObjects>,
  ): Promise<DecodedObjects>;
  /** Bytes of the decoded runs held, and how many runs. */
  stats(): { bytes: number; runs: number };
}

interface CachedRun {
  generation: number;
  objects: Promise<DecodedObjects>;
  bytes: number;
}

/**
 * The decoded-run cache a process's deps hold (src/open.ts; tests make their own).
 *
 * @example
 * const objectCache = createObjectCache({ maxBytes: 256 << 20 });
 * const d = await objectCache.get(db, runId, generation, () => loadRun(deps, runId));
 */
export function createObjectCache({ maxBytes = 256 << 20 }: { maxBytes?: number } = {}): ObjectCache {
  const handles = new WeakMap<object, number>();
  let nextHandle = 0;
  const runs = new Map<string, CachedRun>();
  const keyOf = (db: object, runId: number) => {
    let h = handles.get(db);
    if (h === undefined) {
      h = nextHandle++;
      handles.set(db, h);
    }
    return `${h}:${runId}`;
  };
  return {
    async get(db, runId, generation, load) {
      const key = keyOf(db, runId);
      const hit = runs.get(key);
      if (hit && hit.generation === generation) {
        runs.delete(key);
        runs.set(key, hit);
        return hit.objects;
      }
      const entry: CachedRun = { generation, objects: load(), bytes: 0 };
      runs.delete(key);
      runs.set(key, entry);
      try {
        entry.bytes = decodedBytes(await entry.objects);
      } catch (err) {
        if (runs.get(key) === entry) runs.delete(key);
        throw err;
      }
      let held = 0;
      for (const e of runs.values()) held += e.bytes;
      for (const [k, e] of runs) {
        if (held <= maxBytes || k === key) break;
        runs.delete(k);
        held -= e.bytes;
      }
      return entry.objects;
    },
    stats() {
      let bytes = 0;
      for (const e of runs.values()) bytes += e.bytes;
      return { bytes, runs: runs.size };
    },
  };
}
