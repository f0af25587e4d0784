import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { BoardEnv } from './env.ts';
import { Layout, type LayoutProps } from './pages/layout.tsx';

/** A full board page for the signed-in user (their CSRF token goes into the page for the client script). */
export function renderPage(
  c: Context<BoardEnv>,
  props: Omit<LayoutProps, 'csrf' | 'user' | 'children'> & { playground?: boolean },
  body: Child,
): Response {
  const session = c.get('session');
  const html = (
    <Layout {...props} csrf={c.get('csrf')} user={session?.user} userName={c.get('userName')}>
      {body}
    </Layout>
  );
  return c.html(`<!doctype html>${html.toString()}`);
}
