/**
 * The rows of an index build held until their insertion order is known (see insertion-order.ts):
 * keys and vectors in arrival order, as f32 or, for a compact index, as bf16 bits (half the memory,
 * and nothing lost: the index keeps bf16 anyway).
 */
export interface Staging {
  readonly dim: number;
  /** Rows staged so far. */
  readonly count: number;
  push(keys: Float64Array, vectors: Float32Array): void;
  /** The keys of staged rows `ids` (positions in arrival order). */
  keysOf(ids: ArrayLike<number>): BigUint64Array;
  /** The vectors of staged rows `ids`, one flat f32 array. */
  gather(ids: ArrayLike<number>): Float32Array;
}

/**
 * Vectors are staged in blocks of this size: above glibc's largest mmap threshold (32 MiB), so
 * each block is mapped on its own and goes back to the system as soon as the build frees it,
 * whatever the heap did meanwhile. Untouched pages of a block cost nothing.
 */
const BLOCK_BYTES = 64 << 20;

/** f32 → bf16 bits, rounded to nearest even (embeddings are finite: the importers refuse the rest). */
function toBf16(vectors: Float32Array, out: Uint16Array, at: number): void {
  const bits = new Uint32Array(vectors.buffer, vectors.byteOffset, vectors.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i];
    out[at + i] = (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
  }
}

/**
 * Staging for one build.
 *
 * @example
 * const staging = createStaging(128, { bf16: true });
 * staging.push(page.rowIds, page.vectors);
 * index.add(staging.keysOf([0, 1]), staging.gather([0, 1]));
 */
export function createStaging(dim: number, { bf16 = false }: { bf16?: boolean } = {}): Staging {
  const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / (dim * (bf16 ? 2 : 4))));
  const keyBlocks: Float64Array[] = [];
  const vectorBlocks: (Float32Array | Uint16Array)[] = [];
  let count = 0;

  function checked(id: number): number {
    if (!(id >= 0 && id < count)) throw new Error(`staged row ${id} out of range (${count} staged)`);
    return id;
  }

  return {
    dim,
    get count() {
      return count;
    },
    push(keys, vectors) {
      if (vectors.length !== keys.length * dim)
        throw new Error(`staged page: ${vectors.length} values for ${keys.length} rows of ${dim}`);
      for (let done = 0; done < keys.length; ) {
        const block = Math.floor(count / perBlock);
        if (block === vectorBlocks.length) {
          keyBlocks.push(new Float64Array(perBlock));
          vectorBlocks.push(bf16 ? new Uint16Array(perBlock * dim) : new Float32Array(perBlock * dim));
        }
        const at = count % perBlock;
        const take = Math.min(keys.length - done, perBlock - at);
        keyBlocks[block].set(keys.subarray(done, done + take), at);
        const part = vectors.subarray(done * dim, (done + take) * dim);
        const target = vectorBlocks[block];
        if (target instanceof Uint16Array) toBf16(part, target, at * dim);
        else target.set(part, at * dim);
        done += take;
        count += take;
      }
    },
    keysOf(ids) {
      const out = new BigUint64Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const id = checked(ids[i]);
        out[i] = BigInt(keyBlocks[Math.floor(id / perBlock)][id % perBlock]);
      }
      return out;
    },
    gather(ids) {
      const out = new Float32Array(ids.length * dim);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < ids.length; i++) {
        const id = checked(ids[i]);
        const src = vectorBlocks[Math.floor(id / perBlock)];
        const at = (id % perBlock) * dim;
        if (src instanceof Float32Array) out.set(src.subarray(at, at + dim), i * dim);
        else for (let j = 0; j < dim; j++) bits[i * dim + j] = src[at + j] << 16;
      }
      return out;
    },
  };
}
