import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { round6 } from '../export/handoff-document.ts';
import {
  type ImportedLabel,
  type ImportedLabels,
  type ImportedRow,
  LabelFileError,
  isRecord,
  lineColumn,
} from './labels-file.ts';

const FIX_EXPORT =
  'export the task from CVAT with Export annotations → "CVAT for images 1.1" and import annotations.xml';

/** Shapes Loupe does not keep: named so the labeler knows what to redraw. */
const OTHER_SHAPES = ['polygon', 'polyline', 'points', 'mask', 'ellipse', 'cuboid', 'skeleton'];

const ARRAYS = new Set(['image', 'box', 'tag', 'track', ...OTHER_SHAPES]);

/** The image name without folders and extension: how our ids appear when CVAT keeps the upload's name. */
export function bareName(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function coordinate(box: Record<string, unknown>, k: string, where: string): number {
  const v = Number(box[k]);
  if (typeof box[k] !== 'string' || box[k] === '' || !Number.isFinite(v))
    throw new LabelFileError(`${where} ${k}`, `"${String(box[k] ?? '')}" is not a number`, FIX_EXPORT);
  return v;
}

/**
 * Read a "CVAT for images 1.1" XML export: for each `<image id name width height>`, its `<box
 * label xtl ytl xbr ybr>` (detection, pixels) or `<tag label>` (classification). Every image in
 * the file is taken as the labeler left it (an image without boxes has no objects), except a
 * classification image without a tag, which is skipped. Rotated boxes and other shapes are refused.
 *
 * @example
 * const { rows } = parseCvatXml(readFileSync('annotations.xml', 'utf8'), 'annotations.xml');
 */
export function parseCvatXml(
  text: string,
  file = 'file',
  { kind }: { kind?: 'classification' | 'detection' } = {},
): ImportedLabels {
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new LabelFileError(
      `${file} line ${valid.err.line}, column ${valid.err.col}`,
      `not well-formed XML (${valid.err.msg})`,
      FIX_EXPORT,
    );
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    isArray: (name) => ARRAYS.has(name),
  }).parse(text) as Record<string, unknown>;
  const root = doc.annotations;
  if (!isRecord(root))
    throw new LabelFileError(file, 'no <annotations> root element: this is not a CVAT XML file', FIX_EXPORT);
  if (root.version !== undefined && String(root.version).trim() !== '1.1')
    throw new LabelFileError(
      `${file} <version>`,
      `version ${String(root.version)}; Loupe reads 1.1`,
      FIX_EXPORT,
    );
  if (Array.isArray(root.track))
    throw new LabelFileError(
      `${file} <track>`,
      'this is a "CVAT for video" export (tracks)',
      'export with "CVAT for images 1.1" instead',
    );
  const offsets = [...text.matchAll(/<image\b/g)].map((m) => m.index ?? 0);
  const images = Array.isArray(root.image) ? root.image : [];
  const rows: ImportedRow[] = [];
  let skipped = 0;
  images.forEach((image, i) => {
    const { line } = lineColumn(text, offsets[i] ?? 0);
    const img = image as Record<string, unknown>;
    const name = typeof img.name === 'string' ? img.name : '';
    const where = `${file} line ${line} <image id="${String(img.id ?? '')}" name="${name}">`;
    if (!name) throw new LabelFileError(where, 'the image has no name', FIX_EXPORT);
    for (const shape of OTHER_SHAPES)
      if (Array.isArray(img[shape]))
        throw new LabelFileError(
          `${where} <${shape}>`,
          `a ${shape}; Loupe keeps boxes (detection) and tags (classification)`,
          'draw rectangles instead and export again',
        );
    const labels: ImportedLabel[] = [];
    const boxes = (Array.isArray(img.box) ? img.box : []) as Record<string, unknown>[];
    boxes.forEach((box, b) => {
      const at = `${where} <box> ${b + 1}`;
      if (typeof box.label !== 'string' || box.label === '')
        throw new LabelFileError(`${at} label`, 'missing', FIX_EXPORT);
      const rotation = box.rotation === undefined ? 0 : Number(box.rotation);
      if (rotation !== 0)
        throw new LabelFileError(
          `${at} rotation`,
          `the box is rotated (${String(box.rotation)}°); Loupe keeps axis-aligned boxes`,
          'set its rotation to 0 in CVAT and export again',
        );
      const [xtl, ytl, xbr, ybr] = ['xtl', 'ytl', 'xbr', 'ybr'].map((k) => coordinate(box, k, at));
      if (xbr <= xtl || ybr <= ytl)
        throw new LabelFileError(
          at,
          `xbr/ybr (${xbr}, ${ybr}) must be right of and below xtl/ytl (${xtl}, ${ytl})`,
          'redraw the box',
        );
      labels.push({
        label: box.label,
        box: { x: round6(xtl), y: round6(ytl), w: round6(xbr - xtl), h: round6(ybr - ytl) },
        where: at,
      });
    });
    const tags = (Array.isArray(img.tag) ? img.tag : []) as Record<string, unknown>[];
    tags.forEach((tag, t) => {
      const at = `${where} <tag> ${t + 1}`;
      if (typeof tag.label !== 'string' || tag.label === '')
        throw new LabelFileError(`${at} label`, 'missing', FIX_EXPORT);
      labels.push({ label: tag.label, box: null, where: at });
    });
    if (kind === 'classification' && labels.length === 0) {
      skipped++;
      return;
    }
    rows.push({ key: name, altKeys: [bareName(name)], where, labels });
  });
  return { tool: 'cvat', rows, skipped };
}
