import { describe, expect, it } from 'vitest';
import { verifyMediaPath } from '../../src/media/sign.ts';
import { createMediaUrls } from '../../src/media/urls.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const clock = { now: () => NOW };
const file = { rowId: 7, imageUrl: 'root:1/a.jpg' };
const remote = { rowId: 8, imageUrl: 'https://cdn.example/b.jpg' };

describe('media URLs', () => {
  it('gives pages same-site paths for thumbnails, originals and crops', () => {
    const urls = createMediaUrls({ clock });
    expect(urls.thumb(file)).toBe('/media/rows/7/thumb/256');
    expect(urls.thumb(remote, 96)).toBe('/media/rows/8/thumb/96');
    expect(urls.image(file)).toBe('/media/rows/7/image');
    expect(urls.crop(file, { x: 10.4, y: 20.6, w: 30, h: 40 })).toBe('/media/rows/7/crop/10,21,30,40/256');
    expect(urls.thumb({ rowId: 9, imageUrl: null })).toBeNull();
    expect(urls.crop({ rowId: 9, imageUrl: '/media/shapes/1.svg' }, { x: 0, y: 0, w: 1, h: 1 })).toBeNull();
  });

  it('gives Slack signed, expiring board URLs when the board is public and signs', () => {
    const urls = createMediaUrls({ secret: 's3cret', publicUrl: 'https://loupe.example/', clock });
    const url = new URL(urls.slack(file)!);
    expect(url.origin).toBe('https://loupe.example');
    expect(url.pathname).toBe('/media/rows/7/thumb/256');
    const q = Object.fromEntries(url.searchParams);
    expect(verifyMediaPath('s3cret', url.pathname, q, NOW)).toBe(true);
    expect(verifyMediaPath('s3cret', url.pathname, q, new Date(NOW.getTime() + 8 * 24 * 3600_000))).toBe(
      false,
    );
    expect(verifyMediaPath('other', url.pathname, q, NOW)).toBe(false);
  });

  it('gives Slack the remote URL as imported, or nothing, when the board cannot sign', () => {
    const urls = createMediaUrls({ publicUrl: 'https://loupe.example', clock });
    expect(urls.slack(remote)).toBe('https://cdn.example/b.jpg');
    expect(urls.slack(file)).toBeNull();
  });
});

describe('media URLs for labeling tools', () => {
  it('are absolute full images, signed for weeks when the board signs links', () => {
    const urls = createMediaUrls({ secret: 's3cret', publicUrl: 'https://loupe.example/', clock });
    const url = new URL(urls.handoff(file)!);
    expect(url.origin + url.pathname).toBe('https://loupe.example/media/rows/7/image');
    const q = Object.fromEntries(url.searchParams);
    expect(verifyMediaPath('s3cret', url.pathname, q, new Date(NOW.getTime() + 59 * 24 * 3600_000))).toBe(
      true,
    );
    expect(verifyMediaPath('s3cret', url.pathname, q, new Date(NOW.getTime() + 61 * 24 * 3600_000))).toBe(
      false,
    );
  });

  it('are plain absolute paths on an open board, and the remote URL or a path without a public URL', () => {
    const open = createMediaUrls({ publicUrl: 'https://loupe.example', clock });
    expect(open.handoff({ rowId: 3, imageUrl: '/media/digits/3.svg' })).toBe(
      'https://loupe.example/media/digits/3.svg',
    );
    const local = createMediaUrls({ clock });
    expect(local.handoff(remote)).toBe('https://cdn.example/b.jpg');
    expect(local.handoff(file)).toBe('/media/rows/7/image');
    expect(local.handoff({ rowId: 9, imageUrl: null })).toBeNull();
  });
});
