/** A media request that cannot be answered, with the HTTP status that says why. */
export class MediaError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 413 | 415 | 502 | 504,
    message: string,
    /** A same-site path that serves this image instead (the old demo's SVGs). */
    readonly location?: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}
