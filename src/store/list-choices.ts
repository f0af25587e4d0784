/**
 * The fixed choices of the paged list queries (sort orders, decision and outcome filters). They live
 * apart from the queries so the CLI can offer them as option choices without loading the database
 * layer at start.
 */
import type { Decision } from '../../db/schema.ts';

export type ErrorSort = 'confidence:asc' | 'confidence:desc';
export const ERROR_SORTS: readonly ErrorSort[] = ['confidence:asc', 'confidence:desc'];
/** 'none' is accepted as another name for 'undecided' (the board's query parameter says none). */
export type DecisionFilter = Decision | 'undecided' | 'none';
export const DECISION_FILTERS: readonly DecisionFilter[] = [
  'approve',
  'rework',
  'dismiss',
  'undecided',
  'none',
];

export type ObjectKind = 'tp' | 'fp' | 'fn';
export const OBJECT_KINDS: readonly ObjectKind[] = ['tp', 'fp', 'fn'];
export type ObjectSort = 'confidence:asc' | 'confidence:desc' | 'iou:asc';
export const OBJECT_SORTS: readonly ObjectSort[] = ['confidence:asc', 'confidence:desc', 'iou:asc'];
