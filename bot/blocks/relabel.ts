import type { ActionsBlockElement, KnownBlock, StaticSelect } from '@slack/types';
import { button, context, section } from './kit.ts';
import { mention, safeText } from './mrkdwn.ts';

/** Action ids of the correction buttons (see bot/corrections.ts). */
export const RELABEL_ACTION = {
  suggested: 'relabel:suggested',
  pick: 'relabel:pick',
  deleteBox: 'relabel:delete',
  addBox: 'relabel:add',
  undo: 'relabel:undo',
} as const;

/** Slack's static_select holds at most 100 options; larger class lists are corrected in the board. */
const MAX_OPTIONS = 100;
const OPTION_TEXT = 75;

export type CorrectionOp = 'relabel' | 'box-class' | 'box-delete' | 'box-add';
const OP_CODE: Record<CorrectionOp, string> = {
  relabel: 'r',
  'box-class': 'b',
  'box-delete': 'd',
  'box-add': 'a',
};
const CODE_OP = Object.fromEntries(Object.entries(OP_CODE).map(([k, v]) => [v, k])) as Record<
  string,
  CorrectionOp
>;

/** What a mislabel item offers to correct (from its flag), with class indices. */
export type SlackCorrection =
  | { kind: 'row'; suggested: number | null; classes: string[] }
  | { kind: 'box'; annId: number; suggested: number | null; classes: string[] }
  | { kind: 'missed'; predId: number; suggested: number | null; classes: string[] };

export interface CorrectionValue {
  rowId: number;
  runId: number | null;
  op: CorrectionOp;
  /** annId (box-class, box-delete) or predId (box-add). */
  target: number | null;
  /** Class index; null = the prediction's own class (box-add) or none (box-delete). */
  label: number | null;
}

/** A correction button's value: `rowId:runId:op:target:label`, far under Slack's 2,000 characters. */
export function correctionValue(v: CorrectionValue): string {
  return [v.rowId, v.runId ?? '', OP_CODE[v.op], v.target ?? '', v.label ?? ''].join(':');
}

export function parseCorrectionValue(value: unknown): CorrectionValue | null {
  if (typeof value !== 'string' || value.length > 200) return null;
  const m = /^(\d{1,15}):(\d{0,10}):([rbda]):(\d{0,15}):(\d{0,6})$/.exec(value);
  if (!m) return null;
  const op = CODE_OP[m[3]];
  const target = m[4] ? Number(m[4]) : null;
  const label = m[5] ? Number(m[5]) : null;
  if ((op === 'relabel' || op === 'box-class') && label === null) return null;
  if (op !== 'relabel' && target === null) return null;
  return { rowId: Number(m[1]), runId: m[2] ? Number(m[2]) : null, op, target, label };
}

/**
 * The correction controls of one mislabel item, to sit in its actions block: "Relabel as
 * <suggested>" and a "Relabel as…" class picker (rows); "Change box to …", a picker and
 * "Delete box" (flagged boxes); "Add missed box" (an object the labels miss).
 *
 * @example
 * correctionElements(rowId, runId, { kind: 'row', suggested: 7, classes });
 */
export function correctionElements(
  rowId: number,
  runId: number | null,
  offer: SlackCorrection,
): ActionsBlockElement[] {
  const name = (i: number | null) => (i === null ? '' : (offer.classes[i] ?? String(i)));
  const out: ActionsBlockElement[] = [];
  const value = (op: CorrectionOp, target: number | null, label: number | null) =>
    correctionValue({ rowId, runId, op, target, label });
  if (offer.kind === 'missed') {
    out.push(
      button({
        text: offer.suggested !== null ? `Add missed box as ${name(offer.suggested)}` : 'Add missed box',
        actionId: RELABEL_ACTION.addBox,
        value: value('box-add', offer.predId, offer.suggested),
      }),
    );
    return out;
  }
  const op: CorrectionOp = offer.kind === 'row' ? 'relabel' : 'box-class';
  const target = offer.kind === 'box' ? offer.annId : null;
  if (offer.suggested !== null)
    out.push(
      button({
        text: `${offer.kind === 'row' ? 'Relabel as' : 'Change box to'} ${name(offer.suggested)}`,
        actionId: RELABEL_ACTION.suggested,
        value: value(op, target, offer.suggested),
      }),
    );
  if (offer.classes.length <= MAX_OPTIONS) {
    const picker: StaticSelect = {
      type: 'static_select',
      action_id: RELABEL_ACTION.pick,
      placeholder: { type: 'plain_text', text: offer.kind === 'row' ? 'Relabel as…' : 'Change box to…' },
      options: offer.classes.map((c, i) => ({
        text: { type: 'plain_text', text: (c || String(i)).slice(0, OPTION_TEXT) },
        value: value(op, target, i),
      })),
    };
    out.push(picker);
  }
  if (offer.kind === 'box')
    out.push(
      button({
        text: 'Delete box',
        actionId: RELABEL_ACTION.deleteBox,
        value: value('box-delete', target, null),
      }),
    );
  return out;
}

/** What replaces an item's buttons after a correction: who did what, and an Undo button. */
export function correctedBlock(
  rowId: number,
  runId: number | null,
  { actor, what, version }: { actor: string; what: string; version: number },
): KnownBlock {
  return section(`✏️ ${safeText(what, 200)} by ${mention(actor)} (labels v${version})`, {
    blockId: `act:${rowId}`,
    accessory: button({ text: 'Undo', actionId: RELABEL_ACTION.undo, value: `${rowId}:${runId ?? ''}` }),
  });
}

/** What replaces the Undo line once a correction was undone. */
export function undoneBlock(rowId: number, { actor, what }: { actor: string; what: string }): KnownBlock {
  return context([`↶ Relabel undone by ${mention(actor)}: ${safeText(what, 200)}`], `act:${rowId}`);
}
