/**
 * pycocotools COCOeval(bbox) on the shared val2014-100 sample with the fakebbox100 results
 * (area = w×h), as recorded in rafaelpadilla/review_object_detection_metrics
 * tests/test_coco_eval.py ("Compare results to those obtained with coco's official
 * implementation", tolerance 1e-6).
 */
export const PYCOCOTOOLS_SAMPLE_STATS = {
  AP: 0.503647,
  AP50: 0.696973,
  AP75: 0.571667,
  APsmall: 0.593252,
  APmedium: 0.557991,
  APlarge: 0.489363,
  AR1: 0.386813,
  AR10: 0.59368,
  AR100: 0.595353,
  ARsmall: 0.654764,
  ARmedium: 0.60313,
  ARlarge: 0.553744,
};
