/**
 * What each kind of job is called where people see it: the board's "projection 45%", the CLI's
 * progress bars. A light module of its own, so the CLI's remote path loads no analysis code.
 */
export const JOB_NAMES: Record<string, string> = {
  index: 'vector index',
  analyze: 'analysis',
  knn: 'neighbour pass',
  'knn-chunk': 'neighbour pass chunk',
  projection: 'projection',
  regression: 'regression check',
  reevaluate: 're-evaluation',
};
