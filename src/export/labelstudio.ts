import { type HandoffDocument, type HandoffItem, type PixelBox, round6 } from './handoff-document.ts';

/**
 * The names our tasks use in Label Studio's labeling config: `<Image name="image" value="$image"/>`
 * with `<Choices name="label" toName="image">` (classification) or `<RectangleLabels name="label"
 * toName="image">` (detection); `labelStudioConfig` writes that config for a batch.
 */
export const LS_FROM = 'label';
export const LS_TO = 'image';

/** A region of a Label Studio result, as its JSON export writes it. */
export interface LabelStudioRegion {
  id?: string;
  from_name: string;
  to_name: string;
  type: 'choices' | 'rectanglelabels';
  original_width?: number;
  original_height?: number;
  image_rotation?: number;
  value: Record<string, unknown>;
  score?: number;
}

/** A Label Studio task: what we import into it and (with annotations) what its JSON export gives back. */
export interface LabelStudioTask {
  id?: number;
  data: {
    image: string | null;
    loupe_id: string;
    loupe_dataset: string;
    loupe_batch: string;
    loupe_label?: string;
  };
  predictions?: { model_version: string; score: number; result: LabelStudioRegion[] }[];
  annotations?: { id?: number; result: LabelStudioRegion[]; was_cancelled?: boolean; updated_at?: string }[];
}

/** Pixels to Label Studio's percent of the image's size. */
function percentBox(box: PixelBox, width: number, height: number) {
  return {
    x: round6((box.x / width) * 100),
    y: round6((box.y / height) * 100),
    width: round6((box.w / width) * 100),
    height: round6((box.h / height) * 100),
    rotation: 0,
  };
}

function regions(
  doc: HandoffDocument,
  item: HandoffItem,
): { score: number; result: LabelStudioRegion[] } | null {
  if (item.predictions.length === 0) return null;
  if (doc.kind === 'classification') {
    const [top] = item.predictions;
    return {
      score: top.score,
      result: [
        {
          id: `${item.id}-p0`,
          from_name: LS_FROM,
          to_name: LS_TO,
          type: 'choices',
          value: { choices: [top.label] },
          score: top.score,
        },
      ],
    };
  }
  const { width, height } = item;
  if (!width || !height) return null;
  const boxes = item.predictions.filter((p) => p.box);
  if (boxes.length === 0) return null;
  return {
    // The task's score is how sure the model was overall: the mean of its boxes' scores.
    score: round6(boxes.reduce((s, p) => s + p.score, 0) / boxes.length),
    result: boxes.map((p, i) => ({
      id: `${item.id}-p${i}`,
      from_name: LS_FROM,
      to_name: LS_TO,
      type: 'rectanglelabels',
      original_width: width,
      original_height: height,
      image_rotation: 0,
      value: { ...percentBox(p.box as PixelBox, width, height), rectanglelabels: [p.label] },
      score: p.score,
    })),
  };
}

/**
 * A batch as Label Studio tasks JSON (Import → upload the file): one task per row with its image
 * URL, our row id in `data.loupe_id` (kept by Label Studio and used to match the export back), and
 * the model's predictions as pre-annotations with scores — `choices` for classification,
 * `rectanglelabels` in percent of the image for detection.
 *
 * @example
 * writeFileSync('tasks.json', formatLabelStudio(doc));
 */
export function formatLabelStudio(doc: HandoffDocument): string {
  const tasks: LabelStudioTask[] = doc.items.map((item) => {
    const pre = regions(doc, item);
    const current = doc.kind === 'classification' ? item.labels[0]?.label : undefined;
    return {
      data: {
        image: item.imageUrl,
        loupe_id: item.id,
        loupe_dataset: doc.dataset,
        loupe_batch: doc.batch,
        ...(current !== undefined ? { loupe_label: current } : {}),
      },
      ...(pre ? { predictions: [{ model_version: doc.modelVersion ?? 'loupe', ...pre }] } : {}),
    };
  });
  return `${JSON.stringify(tasks, null, 2)}\n`;
}

const xmlAttr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The labeling config that matches `formatLabelStudio`'s tasks (Settings → Labeling Interface →
 * Code), with the dataset's classes.
 */
export function labelStudioConfig(doc: Pick<HandoffDocument, 'kind' | 'classNames'>): string {
  const tag = doc.kind === 'classification' ? 'Choices' : 'RectangleLabels';
  const item = doc.kind === 'classification' ? 'Choice' : 'Label';
  const extra = doc.kind === 'classification' ? ' choice="single"' : '';
  const options = doc.classNames.map((c) => `    <${item} value="${xmlAttr(c)}"/>`).join('\n');
  return `<View>\n  <Image name="${LS_TO}" value="$image"/>\n  <${tag} name="${LS_FROM}" toName="${LS_TO}"${extra}>\n${options}\n  </${tag}>\n</View>\n`;
}
