/**
 * What a row's stored `image_url` names. Three forms exist:
 * - `root:<id>/<path>` — a file under a folder registered at ingest (see `media_roots`);
 * - `http(s)://…` — a remote image the server fetches and caches;
 * - `/…` — a same-site path (the demo's generated SVGs from earlier versions), used as is.
 */
export type MediaRef =
  | { kind: 'file'; rootId: number; path: string }
  | { kind: 'remote'; url: string }
  | { kind: 'site'; path: string };

const FILE_REF = /^root:([1-9][0-9]{0,9})\/(.+)$/s;

/** The stored form of a file under a registered folder. */
export function fileRef(rootId: number, relativePath: string): string {
  return `root:${rootId}/${relativePath}`;
}

/**
 * Read a stored image reference; null for anything else (a `javascript:` URL, a
 * protocol-relative one, text with spaces in a URL…), so nothing unsafe is ever served or linked.
 *
 * @example
 * parseMediaRef('root:3/val2014/COCO_val2014_000000000042.jpg'); // { kind: 'file', rootId: 3, … }
 */
export function parseMediaRef(value: string | null | undefined): MediaRef | null {
  if (!value) return null;
  const file = FILE_REF.exec(value);
  if (file) return { kind: 'file', rootId: Number(file[1]), path: file[2] };
  const s = value.trim();
  if (/^https?:\/\/[^\s/?#]+[^\s]*$/i.test(s)) return { kind: 'remote', url: s };
  if (s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\') && !/[\s\\]/.test(s))
    return { kind: 'site', path: s };
  return null;
}
