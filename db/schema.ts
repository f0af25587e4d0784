import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  real,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Raw bytes; embeddings are stored as little-endian float32 so COPY can ship them in binary. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const rowRef = () =>
  bigint('row_id', { mode: 'number' })
    .notNull()
    .references(() => dataRows.id, { onDelete: 'cascade' });
const runRef = () =>
  integer('run_id')
    .notNull()
    .references(() => modelRuns.id, { onDelete: 'cascade' });
/**
 * The row and run keys of the bulk tables: a dataset's rows, a run's annotations, predictions,
 * embeddings, scores, outcomes, flags and map points, up to a line per row, written by COPY
 * or INSERT … SELECT.
 * No foreign keys there: Postgres checks each inserted line with a lock on the row it points to,
 * which was half the time of an import and of an analysis (200k row_scores lines: 0.3 s into the
 * bare table, 4 s with the row key, 8 s with both keys). Their writers take the keys from data_rows
 * and model_runs in the same transaction, and tables partitioned by dataset and run (the scale
 * plan) cannot hold such keys either. Decisions, tags and batch items, written a few at a time by
 * people, keep theirs.
 */
const bulkRowKey = () => bigint('row_id', { mode: 'number' }).notNull();
const bulkRunKey = () => integer('run_id').notNull();

export type TaskKind = 'classification' | 'detection';

export const datasets = pgTable('datasets', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind').$type<TaskKind>().notNull(),
  /** Class names by class index; every label and prediction stores the index. */
  classNames: jsonb('class_names').$type<string[]>().notNull(),
  /** COCO category id per class index (detection); null for classification. */
  sourceClassIds: jsonb('source_class_ids').$type<number[] | null>(),
  createdAt: createdAt(),
});

export const dataRows = pgTable(
  'data_rows',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** No foreign key, as the bulk tables (see bulkRowKey): an import writes a million rows here. */
    datasetId: integer('dataset_id').notNull(),
    /** The id the user knows: COCO image id, CSV id, or the .npy row index as a decimal string. */
    externalId: text('external_id').notNull(),
    /** False for the unlabeled pool (no ground truth was given for this row). */
    labeled: boolean('labeled').notNull().default(true),
    imageUrl: text('image_url'),
    width: integer('width'),
    height: integer('height'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    /** The row's text, for text datasets (reviews, posts); shown where an image would be. */
    text: text('text'),
  },
  (t) => [uniqueIndex('data_rows_dataset_external_uq').on(t.datasetId, t.externalId)],
);

/**
 * Folders registered at ingest (`--images DIR`): the only places the board serves files from.
 * A row's file image is stored as `root:<id>/<path relative to the folder>`.
 */
export const mediaRoots = pgTable('media_roots', {
  id: serial('id').primaryKey(),
  /** The folder's real path (symlinks resolved) when it was registered. */
  path: text('path').notNull().unique(),
  createdAt: createdAt(),
});

/** Ground truth: a classification label (no box) or a detection box. */
export const annotations = pgTable(
  'annotations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    rowId: bulkRowKey(),
    /** Natural key within the row: the COCO annotation id, or 'label' for a classification label. */
    annKey: text('ann_key').notNull(),
    label: integer('label').notNull(),
    x: doublePrecision('x'),
    y: doublePrecision('y'),
    w: doublePrecision('w'),
    h: doublePrecision('h'),
    area: doublePrecision('area'),
    iscrowd: boolean('iscrowd').notNull().default(false),
  },
  (t) => [uniqueIndex('annotations_row_key_uq').on(t.rowId, t.annKey)],
);

export const modelRuns = pgTable(
  'model_runs',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull().unique(),
    datasetId: integer('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<TaskKind>().notNull(),
    /** Where the run came from (file names, options), for the record. */
    source: jsonb('source').$type<Record<string, unknown>>(),
    /** The metrics document computed once after ingest (see src/metrics). */
    metrics: jsonb('metrics').$type<Record<string, unknown>>(),
    /** Settings the findings were computed with (thresholds, k, …). */
    findingsOptions: jsonb('findings_options').$type<Record<string, unknown>>(),
    analyzedAt: timestamp('analyzed_at', { withTimezone: true }),
    /** The dataset's label version the stored analysis was computed against (see label_versions). */
    labelVersion: integer('label_version'),
    /**
     * Counts the imports that wrote the run's embeddings: a process holding the run's vector index
     * compares it, one lookup, to know when another process changed them (see index-cache.ts).
     */
    embeddingsVersion: integer('embeddings_version').notNull().default(0),
    /**
     * What the run's last import left (see store/last-import.ts): the digest of its files, with
     * the tables' marks and the versions then, so the same files again answer without a pass.
     */
    lastImport: jsonb('last_import').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index('model_runs_dataset_idx').on(t.datasetId, t.createdAt)],
);

export const predictions = pgTable(
  'predictions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: bulkRunKey(),
    rowId: bulkRowKey(),
    /** Natural key within (run, row): 0 for classification, the detection's ordinal in the results file. */
    predKey: integer('pred_key').notNull(),
    label: integer('label').notNull(),
    score: doublePrecision('score').notNull(),
    x: doublePrecision('x'),
    y: doublePrecision('y'),
    w: doublePrecision('w'),
    h: doublePrecision('h'),
    /** Full probability vector (classification). */
    probs: real('probs').array(),
  },
  (t) => [uniqueIndex('predictions_run_row_key_uq').on(t.runId, t.rowId, t.predKey)],
);

export const embeddings = pgTable(
  'embeddings',
  {
    runId: bulkRunKey(),
    rowId: bulkRowKey(),
    dim: integer('dim').notNull(),
    /** float32 little-endian, dim × 4 bytes. */
    vector: bytea('vector').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.rowId] })],
);

/**
 * Detection: every box's outcome at COCOeval's ten IoU thresholds, stored once at analysis time.
 * One line per (run, image) with outcomes: `error_mask` has bit t set when the image has an fp or
 * fn at threshold t (the errors view). The objects themselves are packed in object_outcome_chunks.
 */
export const objectOutcomes = pgTable(
  'object_outcomes',
  {
    runId: bulkRunKey(),
    rowId: bulkRowKey(),
    errorMask: integer('error_mask').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.rowId] })],
);

export const objectOutcomesGeneration = pgSequence('object_outcomes_generation');

/**
 * One line per run with stored object outcomes. `generation` takes a new value of
 * object_outcomes_generation whenever the run's outcomes are written or any object_outcomes line
 * is deleted (a statement trigger), so a process's decoded copy knows when it is stale; `images`
 * is the number of object_outcomes lines written (fewer now: rows were deleted since).
 */
export const objectOutcomeRuns = pgTable('object_outcome_runs', {
  runId: integer('run_id')
    .primaryKey()
    .references(() => modelRuns.id, { onDelete: 'cascade' }),
  generation: bigint('generation', { mode: 'number' })
    .notNull()
    .default(sql`nextval('object_outcomes_generation')`),
  images: integer('images').notNull(),
  objects: integer('objects').notNull(),
});

/**
 * A run's objects packed as little-endian columns, in chunks of consecutive objects (format in
 * src/store/object-pack.ts): the object pages decode them once per process and generation.
 */
export const objectOutcomeChunks = pgTable(
  'object_outcome_chunks',
  {
    runId: integer('run_id')
      .notNull()
      .references(() => modelRuns.id, { onDelete: 'cascade' }),
    chunk: integer('chunk').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.chunk] })],
);

/** One line per (run, row): what the galleries, queues and Slack answers read. */
export const rowScores = pgTable(
  'row_scores',
  {
    runId: bulkRunKey(),
    rowId: bulkRowKey(),
    labeled: boolean('labeled').notNull(),
    /** Row IoU: 1/0 for classification; matched IoUs averaged with unmatched boxes as 0 for detection. */
    iou: doublePrecision('iou'),
    /** The sort key of the error views: the predicted-class probability, or the highest box score. */
    confidence: doublePrecision('confidence').notNull().default(0),
    minConf: doublePrecision('min_conf'),
    maxConf: doublePrecision('max_conf'),
    /** Given label (classification) or the class of the row's worst disagreement (detection). */
    label: integer('label'),
    predicted: integer('predicted'),
    numGt: integer('num_gt').notNull().default(0),
    numPred: integer('num_pred').notNull().default(0),
    /** Findings (issue: label errors, uncertainty); null until computed or not applicable. */
    labelQuality: doublePrecision('label_quality'),
    neighbourDisagreement: doublePrecision('neighbour_disagreement'),
    uncertaintyLeast: doublePrecision('uncertainty_least'),
    uncertaintyMargin: doublePrecision('uncertainty_margin'),
    uncertaintyEntropy: doublePrecision('uncertainty_entropy'),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.rowId] }),
    index('row_scores_run_conf_idx').on(t.runId, t.confidence, t.rowId),
    index('row_scores_run_iou_idx').on(t.runId, t.iou),
    // The gallery's label / prediction filters (a confusion-matrix cell) in confidence order: on
    // the confidence index alone a rare cell walks most of the run to fill a page.
    index('row_scores_run_label_pred_conf_idx').on(t.runId, t.label, t.predicted, t.confidence, t.rowId),
    // Page 1 of the default errors view (a classification run's wrong rows, iou 0) in confidence
    // order: on the confidence index it reads every right row before the first wrong ones (9,000
    // heap rows for 48 cards at 1M rows). Partial: only the wrong labeled rows cost an entry.
    index('row_scores_run_wrong_conf_idx')
      .on(t.runId, t.confidence, t.rowId)
      .where(sql`${t.labeled} and ${t.iou} < 0.5`),
    // The uncertain queue reads the top of one measure among the run's unlabeled rows. Partial:
    // labeled rows (most of a run) then cost no entries in these three when row_scores is written.
    index('row_scores_run_least_idx')
      .on(t.runId, t.uncertaintyLeast.desc().nullsLast(), t.rowId)
      .where(sql`not ${t.labeled}`),
    index('row_scores_run_margin_idx')
      .on(t.runId, t.uncertaintyMargin.desc().nullsLast(), t.rowId)
      .where(sql`not ${t.labeled}`),
    index('row_scores_run_entropy_idx')
      .on(t.runId, t.uncertaintyEntropy.desc().nullsLast(), t.rowId)
      .where(sql`not ${t.labeled}`),
  ],
);

/** Suspected label errors, one line per finding (a row may carry several for detection). */
export const labelFlags = pgTable(
  'label_flags',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: bulkRunKey(),
    rowId: bulkRowKey(),
    /** 'label' (classification), 'swap', 'overlooked', 'bad_location'. */
    kind: text('kind').notNull(),
    annId: bigint('ann_id', { mode: 'number' }),
    predId: bigint('pred_id', { mode: 'number' }),
    given: integer('given'),
    suggested: integer('suggested'),
    /** In [0, 1]; lower = more likely wrong. */
    score: doublePrecision('score').notNull(),
    methods: jsonb('methods').$type<string[]>().notNull(),
    evidence: text('evidence').notNull(),
    rank: integer('rank').notNull(),
  },
  (t) => [index('label_flags_run_rank_idx').on(t.runId, t.rank), index('label_flags_row_idx').on(t.rowId)],
);

export const projections = pgTable(
  'projections',
  {
    runId: bulkRunKey(),
    rowId: bulkRowKey(),
    x: real('x').notNull(),
    y: real('y').notNull(),
    /** True for the sample UMAP was fitted on; the rest were placed with transform(). */
    fitted: boolean('fitted').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.rowId] })],
);

export type Decision = 'approve' | 'rework' | 'dismiss';
/** A decision that changed the labels (a new label version), or took such a change back. */
export type LabelDecision = 'relabel' | 'revert';
export type ReviewDecision = Decision | LabelDecision;
export type DecisionSource = 'slack' | 'board' | 'cli';

/** Decision history: never updated; the latest line per row wins. */
export const reviews = pgTable(
  'reviews',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    rowId: rowRef(),
    runId: integer('run_id').references(() => modelRuns.id, { onDelete: 'set null' }),
    decision: text('decision').$type<ReviewDecision>().notNull(),
    actor: text('actor').notNull(),
    actorName: text('actor_name'),
    source: text('source').$type<DecisionSource>().notNull(),
    note: text('note'),
    /** For `relabel` and `revert`: the label version the decision made. */
    labelVersionId: integer('label_version_id').references(() => labelVersions.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('reviews_row_idx').on(t.rowId, t.id)],
);

export type LabelVersionSource = 'ingest' | 'correction' | 'import' | 'revert';

/**
 * A dataset's label history: ingest makes version 1, each correction, import or revert the next.
 * `annotations` always hold the labels of the newest version; `label_changes` hold what each later
 * version changed, so the labels of any version can be rebuilt from the current ones.
 */
export const labelVersions = pgTable(
  'label_versions',
  {
    id: serial('id').primaryKey(),
    datasetId: integer('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    source: text('source').$type<LabelVersionSource>().notNull(),
    actor: text('actor'),
    note: text('note'),
    /** Where the labels came from: for version 1 the input format (`{ format: 'npy', descr: '<i8' }`). */
    origin: jsonb('origin').$type<Record<string, unknown>>(),
    /** Counts of what the version changed (see LabelVersionSummary). */
    summary: jsonb('summary').$type<Record<string, number>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('label_versions_dataset_version_uq').on(t.datasetId, t.version)],
);

/**
 * One changed label of a version: a classification label (`ann_key` 'label') or a box (`ann_key`
 * its COCO annotation id). `old_label`/`new_label` null = no such label before/after (an added or
 * deleted box, a row labeled for the first time); `box` is the box concerned, which no change moves.
 */
export const labelChanges = pgTable(
  'label_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    versionId: integer('version_id')
      .notNull()
      .references(() => labelVersions.id, { onDelete: 'cascade' }),
    rowId: rowRef(),
    annKey: text('ann_key').notNull(),
    oldLabel: integer('old_label'),
    newLabel: integer('new_label'),
    box: jsonb('box').$type<{ x: number; y: number; w: number; h: number; area: number; iscrowd: boolean }>(),
    /**
     * The stored id of the box a deletion removed: a box brought back (an undo, a revert) returns
     * under the same id, because flags, links and buttons name boxes by it.
     */
    annId: bigint('ann_id', { mode: 'number' }),
  },
  (t) => [
    uniqueIndex('label_changes_version_key_uq').on(t.versionId, t.rowId, t.annKey),
    index('label_changes_row_idx').on(t.rowId, t.annKey),
  ],
);

/** Each evaluation of a run: its metrics document against one label version of its dataset. */
export const runEvaluations = pgTable(
  'run_evaluations',
  {
    runId: runRef(),
    labelVersion: integer('label_version').notNull(),
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.labelVersion] })],
);

export const tags = pgTable(
  'tags',
  {
    rowId: rowRef(),
    tag: text('tag').notNull(),
    actor: text('actor'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.rowId, t.tag] }), index('tags_tag_idx').on(t.tag)],
);

export const batches = pgTable('batches', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  status: text('status').$type<'open' | 'closed'>().notNull().default('open'),
  runId: integer('run_id').references(() => modelRuns.id, { onDelete: 'set null' }),
  /** How the batch was made: { from: 'uncertain', strategy, diverse, limit, … }. */
  source: jsonb('source').$type<Record<string, unknown>>(),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  closedAt: timestamp('closed_at', { withTimezone: true }),
  /** Who labels it: a Slack user id, set by `batch NAME assign @user`. */
  owner: text('owner'),
  /** The day it is due (in LOUPE_TZ); the owner is reminded on it while unfinished. */
  dueOn: date('due_on', { mode: 'string' }),
  /** The due day the owner was last reminded of: one reminder per due day, whatever the instances. */
  remindedFor: date('reminded_for', { mode: 'string' }),
  assignedBy: text('assigned_by'),
  assignedAt: timestamp('assigned_at', { withTimezone: true }),
});

export const batchItems = pgTable(
  'batch_items',
  {
    batchId: integer('batch_id')
      .notNull()
      .references(() => batches.id, { onDelete: 'cascade' }),
    rowId: rowRef(),
    position: integer('position').notNull(),
    /** When labels brought back from a labeling tool covered this row. */
    doneAt: timestamp('done_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.rowId] }), index('batch_items_row_idx').on(t.rowId)],
);

/** One digest per channel per day: the row is taken before sending. */
export const digests = pgTable(
  'digests',
  {
    id: serial('id').primaryKey(),
    channel: text('channel').notNull(),
    day: date('day').notNull(),
    status: text('status').$type<'sending' | 'sent' | 'failed'>().notNull().default('sending'),
    attempts: integer('attempts').notNull().default(1),
    error: text('error'),
    messageTs: text('message_ts'),
    /** The queue job sending it: a retry of that job after a crash takes over a row left in `sending`. */
    jobId: integer('job_id'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('digests_channel_day_uq').on(t.channel, t.day)],
);

/** Slack deliveries already handled (Events API event_id, interaction keys): one side effect each. */
export const slackDeliveries = pgTable('slack_deliveries', {
  key: text('key').primaryKey(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().default(sql`now()`),
});

export type JobState = 'queued' | 'running' | 'done' | 'failed';

/**
 * The durable job queue: heavy work after ingest (index, analysis, projection, …) waits here,
 * is claimed with `FOR UPDATE SKIP LOCKED` by any worker process, and is taken over when its
 * lease runs out (the worker died). `dedupe_key` keeps one untried queued job per kind and subject.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    runId: integer('run_id').references(() => modelRuns.id, { onDelete: 'cascade' }),
    /** The job that fanned this one out (a chunk of a kNN pass) and waits for it. */
    parentId: bigint('parent_id', { mode: 'number' }).references((): AnyPgColumn => jobs.id, {
      onDelete: 'cascade',
    }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    dedupeKey: text('dedupe_key'),
    state: text('state').$type<JobState>().notNull().default('queued'),
    progress: real('progress').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    runAfter: timestamp('run_after', { withTimezone: true }).notNull().defaultNow(),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    error: text('error'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('jobs_due_idx').on(t.runAfter).where(sql`state in ('queued', 'running')`),
    index('jobs_run_idx').on(t.runId, t.kind),
    index('jobs_parent_idx').on(t.parentId),
    // Only jobs never tried: a retry waiting out its backoff must not block a fresh enqueue.
    uniqueIndex('jobs_queued_uq').on(t.dedupeKey).where(sql`state = 'queued' and attempts = 0`),
  ],
);
/** API tokens for remote ingest: only the sha256 of the token is kept; the token is shown once. */
export const apiTokens = pgTable('api_tokens', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  hash: text('hash').notNull().unique(),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/**
 * A run's usearch index file, shared by every instance on Postgres: built once by the index job,
 * stored in parts, and copied to each instance's disk (LOUPE_DATA/indexes) the first time it is
 * needed. `meta` says which embeddings it was built from; a stale one is rebuilt.
 */
export const vectorIndexes = pgTable('vector_indexes', {
  runId: integer('run_id')
    .primaryKey()
    .references(() => modelRuns.id, { onDelete: 'cascade' }),
  meta: jsonb('meta').$type<Record<string, unknown>>().notNull(),
  parts: integer('parts').notNull(),
  bytes: bigint('bytes', { mode: 'number' }).notNull(),
  builtAt: timestamp('built_at', { withTimezone: true }).notNull().defaultNow(),
});

export const vectorIndexParts = pgTable(
  'vector_index_parts',
  {
    runId: integer('run_id')
      .notNull()
      .references(() => vectorIndexes.runId, { onDelete: 'cascade' }),
    part: integer('part').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.part] })],
);

/**
 * One chunk of a run's kNN pass: the neighbours (as row ids, nearest first, −1 = none) and cosine
 * distances of a range of its embedded rows, written by the chunk job that searched them, in any
 * process. The pass job folds every part into the findings, then deletes them.
 */
export const knnParts = pgTable(
  'knn_parts',
  {
    passId: bigint('pass_id', { mode: 'number' })
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    part: integer('part').notNull(),
    runId: runRef(),
    k: integer('k').notNull(),
    rows: integer('rows').notNull(),
    /** float64 little-endian row ids, `rows` of them. */
    rowIds: bytea('row_ids').notNull(),
    /** float64 little-endian neighbour row ids, rows × k. */
    neighbours: bytea('neighbours').notNull(),
    /** float32 little-endian distances, rows × k. */
    distances: bytea('distances').notNull(),
  },
  (t) => [primaryKey({ columns: [t.passId, t.part] })],
);

/**
 * The regression check of a run against the previous run on its dataset (one line per run,
 * replaced when the check runs again): per-class change with its bootstrap interval, and for
 * classification the (label, previous prediction, new prediction) counts the comparison page reads.
 */
export const runRegressions = pgTable('run_regressions', {
  runId: integer('run_id')
    .primaryKey()
    .references(() => modelRuns.id, { onDelete: 'cascade' }),
  previousRunId: integer('previous_run_id')
    .notNull()
    .references(() => modelRuns.id, { onDelete: 'cascade' }),
  metric: text('metric').$type<'f1' | 'ap'>().notNull(),
  /** Rows (classification) or images (detection) both runs share. */
  rows: integer('rows').notNull(),
  resamples: integer('resamples').notNull(),
  seed: bigint('seed', { mode: 'number' }).notNull(),
  minDrop: doublePrecision('min_drop').notNull(),
  classes: jsonb('classes').$type<Record<string, unknown>[]>().notNull(),
  cells: jsonb('cells').$type<{ label: number; before: number; now: number; count: number }[] | null>(),
  computedAt: createdAt(),
});

/** One regression alert per run and channel: the line is taken before posting, so it is posted once. */
export const regressionAlerts = pgTable(
  'regression_alerts',
  {
    id: serial('id').primaryKey(),
    runId: runRef(),
    channel: text('channel').notNull(),
    status: text('status').$type<'sending' | 'sent' | 'failed'>().notNull().default('sending'),
    attempts: integer('attempts').notNull().default(1),
    messageTs: text('message_ts'),
    error: text('error'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('regression_alerts_run_channel_uq').on(t.runId, t.channel)],
);

/** Classes whose regressions are not alerted any more (Mute class), per dataset. */
export const classMutes = pgTable(
  'class_mutes',
  {
    datasetId: integer('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    label: integer('label').notNull(),
    mutedBy: text('muted_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.datasetId, t.label] })],
);
