/** The one seed the shipped demo is built from; the demo's images are drawn from it too. */
export const DEMO_SEED = 20240611;

export const DIGITS_DEMO = { dataset: 'digits', run: 'digits-logreg', flipRate: 0.03, holdoutRate: 0.25 };

export const SHAPES_DEMO = {
  dataset: 'shapes',
  runs: { v1: 'shapes-detector-v1', v2: 'shapes-detector-v2' },
  images: 120,
};
