import { describe, expect, it } from 'vitest';
import {
  classifyFindings,
  fuseScores,
  midRanks,
  neighbourCandidates,
} from '../../src/findings/classification.ts';
import { exactKnn } from '../../src/findings/knn.ts';
import { neighbourDisagreement } from '../../src/findings/neighbours.ts';
import { createRandom } from '../../src/random.ts';

/** Points on a circle at the given angles (degrees): cosine distance depends on the angle only. */
function circle(angles: number[]): Float32Array {
  return Float32Array.from(
    angles.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]),
  );
}

describe('exact cosine kNN', () => {
  it('orders neighbours by angle and excludes the row itself', () => {
    const g = exactKnn(circle([0, 10, 30, 90]), 2, 2);
    expect(Array.from(g.indices.subarray(0, 2))).toEqual([1, 2]);
    expect(g.distances[0]).toBeCloseTo(1 - Math.cos((10 * Math.PI) / 180), 6);
    expect(Array.from(g.indices.subarray(6, 8))).toEqual([2, 1]);
  });
});

describe('neighbour disagreement', () => {
  it('weights each neighbour by 1 / (1 + distance)', () => {
    // Row 0 (label 0) has neighbours 1 (label 1, d=0) and 2 (label 0, d=1): 1 / (1 + 0.5) = 2/3.
    const labels = new Int32Array([0, 1, 0]);
    const graph = {
      k: 2,
      indices: new Int32Array([1, 2, 0, 2, 0, 1]),
      distances: new Float32Array([0, 1, 0, 1, 1, 1]),
    };
    const nb = neighbourDisagreement(labels, graph, { islandShare: 0.7 });
    expect(nb.disagreement[0]).toBeCloseTo(1 / (1 + 0.5), 12);
    expect(nb.topOther[0]).toBe(1);
    expect(nb.island[0]).toBe(-1);
    // Row 1 (label 1): both neighbours carry 0 → disagreement 1 and an island of 0.
    expect(nb.disagreement[1]).toBe(1);
    expect(nb.island[1]).toBe(0);
    expect(nb.topOtherCount[1]).toBe(2);
  });

  it('ignores unlabeled neighbours and leaves unlabeled rows NaN', () => {
    const labels = new Int32Array([0, -1, 0]);
    const graph = { k: 2, indices: new Int32Array([1, 2, 0, 2, 0, 1]), distances: new Float32Array(6) };
    const nb = neighbourDisagreement(labels, graph);
    expect(nb.disagreement[0]).toBe(0);
    expect(nb.labeledCount[0]).toBe(1);
    expect(Number.isNaN(nb.disagreement[1])).toBe(true);
  });

  it('finds a mislabeled point inside another class cluster as an island', () => {
    // Cluster A at 0..8°, cluster B at 90..98°; point 4 sits in A but is labeled B.
    const angles = [0, 2, 4, 6, 8, 90, 92, 94, 96, 98];
    const labels = new Int32Array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const nb = neighbourDisagreement(labels, exactKnn(circle(angles), 2, 4), { islandShare: 0.7 });
    expect(nb.island[4]).toBe(0);
    expect(nb.disagreement[4]).toBe(1);
    expect(nb.disagreement[0]).toBeLessThan(0.5);
  });
});

describe('fusion', () => {
  it('mid-ranks ties and keeps NaN: (mid rank − ½) / m', () => {
    // Sorted: 0.1 has rank 1, the two 0.3 share ranks 2 and 3 (mid rank 2.5); m = 3 defined values.
    expect(Array.from(midRanks(new Float64Array([0.3, 0.1, 0.3, Number.NaN])))).toEqual([
      (2.5 - 0.5) / 3,
      (1 - 0.5) / 3,
      (2.5 - 0.5) / 3,
      Number.NaN,
    ]);
  });

  it('averages the two rank scales so neither signal drowns the other', () => {
    // Label quality spans 0.001..0.004 (tiny), agreement 0..1: each still counts half.
    const fused = fuseScores(
      new Float64Array([0.001, 0.002, 0.003, 0.004]),
      new Float64Array([0, 1, 0.5, 0.9]),
    );
    // ranks(quality) = 1/8, 3/8, 5/8, 7/8; agreement = [1, 0, 0.5, 0.1] → ranks 7/8, 1/8, 5/8, 3/8.
    expect(Array.from(fused)).toEqual([0.5, 0.25, 0.625, 0.625]);
  });

  it('flags islands the model does not vouch for, and ranks with both signals', () => {
    const angles = [0, 2, 4, 6, 8, 90, 92, 94, 96, 98];
    // Row 4 is labeled 1 but sits among 0s; the model is unsure (0.55 for class 0), so CL alone misses it.
    const labels = new Int32Array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const probs = new Float64Array(
      [
        [0.9, 0.1],
        [0.9, 0.1],
        [0.8, 0.2],
        [0.85, 0.15],
        [0.55, 0.45],
        [0.1, 0.9],
        [0.2, 0.8],
        [0.1, 0.9],
        [0.15, 0.85],
        [0.1, 0.9],
      ].flat(),
    );
    const classNames = ['cat', 'dog'];
    const without = classifyFindings({ labels, probs, k: 2, classNames, graph: null });
    expect(without.flags.map((f) => f.index)).toEqual([]);
    const graph = exactKnn(circle(angles), 2, 4);
    const withNb = classifyFindings({ labels, probs, k: 2, classNames, graph });
    expect(withNb.flags.map((f) => f.index)).toEqual([4]);
    const [flag] = withNb.flags;
    expect(flag.methods).toEqual(['neighbours']);
    expect(flag.suggested).toBe(0);
    expect(flag.evidence).toBe(
      "model 0.55 sure: cat; labeled dog (0.45); suggested cat: the model's top class; 4 of 4 nearest neighbours are cat",
    );
    // Lowest label quality (0.45): rank ½ of 10 → 0.05. Lowest agreement (0) among the rows whose
    // neighbours count, those under their class's threshold: rows 2 and 3 under cat's 0.8625, rows
    // 4 and 6 under dog's 0.8000000000000002 (the float mean of six probabilities): rank ½ of 4.
    expect(flag.score).toBeCloseTo((0.05 + 0.125) / 2, 12);
    expect(Array.from(withNb.neighbourDisagreement, (d) => !Number.isNaN(d))).toEqual([
      false,
      false,
      true,
      true,
      true,
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(Array.from(neighbourCandidates({ labels, probs, k: 2 }))).toEqual([2, 3, 4, 6]);
  });

  it("states the model's top class when the neighbours suggest another (digits rows 1149, 1658)", () => {
    // Row 4 is labeled dog among birds; the model's top class is cat (0.46), bird only 0.12.
    const angles = [0, 2, 4, 6, 8, 90, 92, 94, 180, 182, 184];
    const labels = new Int32Array([2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0]);
    const bird = [0.05, 0.05, 0.9];
    const dog = [0.05, 0.9, 0.05];
    const cat = [0.9, 0.05, 0.05];
    const probs = new Float64Array(
      [bird, bird, bird, bird, [0.46, 0.42, 0.12], dog, dog, dog, cat, cat, cat].flat(),
    );
    const graph = exactKnn(circle(angles), 2, 4);
    const { flags } = classifyFindings({ labels, probs, k: 3, classNames: ['cat', 'dog', 'bird'], graph });
    const flag = flags.find((f) => f.index === 4)!;
    expect(flag.suggested).toBe(2);
    expect(flag.evidence).toBe(
      'model 0.46 sure: cat; labeled dog (0.42); suggested bird: the class of its nearest neighbours; 4 of 4 nearest neighbours are bird',
    );
  });
});

describe('classification findings', () => {
  it('finds the same in the labeled rows whatever unlabeled rows lie between them', () => {
    // 400 labeled rows of 4 classes, a tenth of their labels flipped; then the same rows with
    // unlabeled ones first, last and in stretches between them (the findings copy the labeled rows
    // out of the run one stretch at a time).
    const random = createRandom(7);
    const k = 4;
    const labeledProbs: number[][] = [];
    const labeledLabels: number[] = [];
    for (let r = 0; r < 400; r++) {
      const truth = r % k;
      const raw = Array.from({ length: k }, (_, c) => random() ** 2 + (c === truth ? 1.2 : 0));
      const sum = raw.reduce((a, b) => a + b, 0);
      labeledProbs.push(raw.map((v) => v / sum));
      labeledLabels.push(random() < 0.1 ? (truth + 1 + random.int(k - 1)) % k : truth);
    }
    const unlabeledRow = () => Array.from({ length: k }, () => 1 / k);
    const position: number[] = [];
    const labels: number[] = [];
    const probs: number[][] = [];
    for (let r = 0; r < 400; r++) {
      const gap = r === 0 ? 3 : r % 37 === 0 ? 1 + random.int(4) : 0;
      for (let g = 0; g < gap; g++) {
        labels.push(-1);
        probs.push(unlabeledRow());
      }
      position.push(labels.length);
      labels.push(labeledLabels[r]);
      probs.push(labeledProbs[r]);
    }
    labels.push(-1, -1);
    probs.push(unlabeledRow(), unlabeledRow());
    const classNames = ['a', 'b', 'c', 'd'];
    const alone = classifyFindings({
      labels: Int32Array.from(labeledLabels),
      probs: Float32Array.from(labeledProbs.flat()),
      k,
      classNames,
      graph: null,
    });
    const mixed = classifyFindings({
      labels: Int32Array.from(labels),
      probs: Float32Array.from(probs.flat()),
      k,
      classNames,
      graph: null,
    });
    expect(alone.flags.length).toBeGreaterThan(20);
    expect(mixed.flags).toEqual(alone.flags.map((f) => ({ ...f, index: position[f.index] })));
    const quality = Array.from(mixed.labelQuality);
    expect(position.map((at) => quality[at])).toEqual(Array.from(alone.labelQuality));
    expect(quality.filter((_, at) => labels[at] < 0).every(Number.isNaN)).toBe(true);
  });
});
