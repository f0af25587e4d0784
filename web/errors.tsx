import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Layout } from './pages/layout.tsx';

/** True for requests answered in JSON (the API); everything else gets an HTML page. */
export const wantsJson = (c: Context) => c.req.path.startsWith('/api/');

/**
 * An error answer: `{ error, status, help? }` for the API, a small page for the board. Never
 * carries a stack trace.
 */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
  { help }: { help?: string } = {},
): Response {
  if (wantsJson(c))
    return c.json(help ? { error: message, status, help } : { error: message, status }, status);
  return c.html(
    '<!doctype html>' +
      (
        <Layout title={message}>
          <section class="error">
            <h1>{message}</h1>
            {help ? <p>{help}</p> : null}
            <p class="muted">HTTP {status}</p>
          </section>
        </Layout>
      ).toString(),
    status,
  );
}

/** A request the board refuses with a message meant for the person who made it. */
export class BoardError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly help?: string,
  ) {
    super(message);
    this.name = 'BoardError';
  }
}
