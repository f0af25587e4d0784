/**
 * TIDE's own numbers (dbolya/tide at 49a5d2a4aeb56795e93a3ed7cc7e6d25757bb4c1, `TIDE().evaluate(gt,
 * res, mode=TIDE.BOX)` then `get_main_errors()`, with pycocotools built from cocodataset/cocoapi's
 * source by Debian's cython3 and numpy; its plotting imports stubbed), in TIDE's units (AP × 100).
 *
 * - `cocoSample`: the shared val2014-100 sample (a `segmentation` rectangle added to each
 *   annotation, which TIDE's COCO loader requires), with the 9 results of classes that have no
 *   ground truth removed (TIDE scores such a class AP 0, COCOeval leaves it out).
 * - `synthetic400`: `syntheticDetections({ seed: 7, images: 400 })` written as COCO files.
 */
export const TIDE_REFERENCE = {
  cocoSample: {
    ap50: 69.70827357310577,
    errors: {
      cls: 15.568780448085818,
      loc: 0.24742454002485204,
      both: 0,
      dupe: 0.020599225914494923,
      bkg: 0,
      missed: 10.558772227502544,
    },
  },
  synthetic400: {
    ap50: 22.139283886459687,
    errors: {
      cls: 3.5845742256593986,
      loc: 2.4348207791013294,
      both: 0.7270649396024105,
      dupe: 2.523814968986869,
      bkg: 9.00483088477495,
      missed: 12.007090710205347,
    },
  },
} as const;
