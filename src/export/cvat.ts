import { XMLBuilder } from 'fast-xml-parser';
import { type HandoffDocument, type HandoffItem, round6 } from './handoff-document.ts';

type Shape = Record<string, unknown>;

/**
 * What one image carries: its current labels when it has them (the labeler corrects them, as
 * `source="manual"`), else the model's predictions (`source="auto"`) to start from.
 */
function shapes(doc: HandoffDocument, item: HandoffItem): { box: Shape[]; tag: Shape[] } {
  const fromLabels = item.labeled && item.labels.length > 0;
  const source = fromLabels ? 'manual' : 'auto';
  if (doc.kind === 'classification') {
    const label = fromLabels ? item.labels[0].label : item.predictions[0]?.label;
    return { box: [], tag: label === undefined ? [] : [{ '@_label': label, '@_source': source }] };
  }
  const boxes = fromLabels
    ? item.labels.flatMap((l) => (l.box ? [{ label: l.label, box: l.box }] : []))
    : item.predictions.flatMap((p) => (p.box ? [{ label: p.label, box: p.box }] : []));
  return {
    box: boxes.map(({ label, box }) => ({
      '@_label': label,
      '@_source': source,
      '@_occluded': '0',
      '@_xtl': round6(box.x).toFixed(2),
      '@_ytl': round6(box.y).toFixed(2),
      '@_xbr': round6(box.x + box.w).toFixed(2),
      '@_ybr': round6(box.y + box.h).toFixed(2),
      '@_z_order': '0',
    })),
    tag: [],
  };
}

/**
 * A batch as "CVAT for images 1.1" XML (Actions → Upload annotations → CVAT 1.1): the task's
 * labels in `<meta>`, then one `<image id name width height>` per row, in batch order, with
 * `<box label xtl ytl xbr ybr>` (detection, pixels) or `<tag label>` (classification). Images are
 * named by `fileName`, which is how an export comes back to our rows.
 *
 * @example
 * writeFileSync('annotations.xml', formatCvat(doc));
 */
export function formatCvat(doc: HandoffDocument): string {
  const type = doc.kind === 'classification' ? 'tag' : 'rectangle';
  const tree = {
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    annotations: {
      version: '1.1',
      meta: {
        task: {
          name: doc.batch,
          size: doc.items.length,
          mode: 'annotation',
          labels: { label: doc.classNames.map((name) => ({ name, type, attributes: '' })) },
        },
      },
      image: doc.items.map((item, i) => {
        const { box, tag } = shapes(doc, item);
        return {
          '@_id': String(i),
          '@_name': item.fileName,
          '@_width': String(item.width ?? 0),
          '@_height': String(item.height ?? 0),
          ...(box.length ? { box } : {}),
          ...(tag.length ? { tag } : {}),
        };
      }),
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
    processEntities: true,
  });
  return builder.build(tree) as string;
}
