import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { Deps } from '../src/deps.ts';
import type { PlaygroundMessage, PlaygroundService } from '../src/playground.ts';
import type { BoardEnv } from './env.ts';
import { renderPage } from './render.tsx';

/** Block Kit as the playground receives it (a loose view of @slack/types' blocks). */
interface AnyBlock {
  type: string;
  block_id?: string;
  text?: { type: string; text: string };
  fields?: { type: string; text: string }[];
  accessory?: { type: string; image_url?: string; alt_text?: string };
  elements?: {
    type: string;
    text?: string | { text: string };
    action_id?: string;
    value?: string;
    url?: string;
    style?: string;
    image_url?: string;
    alt_text?: string;
  }[];
  image_url?: string;
  alt_text?: string;
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const safeHref = (url: string) =>
  /^https?:\/\//i.test(url) || (url.startsWith('/') && !url.startsWith('//')) ? url : null;

/** Slack's names for the emoji the bot writes (Slack shows them as pictures; unknown names stay as typed). */
const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  tada: '🎉',
  warning: '⚠️',
  no_entry: '⛔',
  small_red_triangle_down: '🔻',
  small_red_triangle: '🔺',
  x: '❌',
  bar_chart: '📊',
  mag: '🔍',
  eyes: '👀',
  paperclip: '📎',
};

// One pass, leftmost match first: a link, `code`, *bold* (which may hold a link), _italic_ (not
// inside snake_case words), :emoji:, a line break.
const TOKENS = /(<[^<>]+>)|(`[^`\n]+`)|\*([^*\n]+)\*|(?<![\w])_([^_\n]+)_(?!\w)|:([a-z0-9_+-]+):|(\n)/g;

/** Slack mrkdwn to elements: links, mentions, *bold*, _italic_, `code`, :emoji:, line breaks. Text stays text. */
export function Mrkdwn({ text }: { text: string }) {
  return <>{mrkdwn(text)}</>;
}

function mrkdwn(text: string): Child[] {
  const out: Child[] = [];
  const re = new RegExp(TOKENS.source, 'g');
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [whole, link, code, bold, italic, emoji, br] = m;
    if (emoji !== undefined && !EMOJI[emoji]) continue;
    if (m.index > last) out.push(decode(text.slice(last, m.index)));
    if (link) out.push(linkOf(link));
    else if (code) out.push(<code>{decode(code.slice(1, -1))}</code>);
    else if (bold !== undefined) out.push(<strong>{mrkdwn(bold)}</strong>);
    else if (italic !== undefined) out.push(<em>{mrkdwn(italic)}</em>);
    else if (emoji !== undefined) out.push(EMOJI[emoji]);
    else if (br) out.push(<br />);
    last = m.index + whole.length;
  }
  if (last < text.length) out.push(decode(text.slice(last)));
  return out;
}

function linkOf(token: string): Child {
  const inner = token.slice(1, -1);
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : inner.slice(bar + 1);
  if (target.startsWith('@')) return <span class="mention">{target}</span>;
  const href = safeHref(decode(target));
  return href ? <a href={href}>{decode(label ?? target)}</a> : decode(label ?? target);
}

function textOf(t: string | { text: string } | undefined): string {
  return typeof t === 'string' ? t : (t?.text ?? '');
}

function Block({ block, messageId }: { block: AnyBlock; messageId: string }) {
  switch (block.type) {
    case 'header':
      return <h3 class="pg-header">{block.text?.text}</h3>;
    case 'divider':
      return <hr />;
    case 'section':
      return (
        <div class="pg-section">
          <div class="pg-text">
            {block.text ? <Mrkdwn text={block.text.text} /> : null}
            {(block.fields ?? []).map((f) => (
              <div class="pg-field">
                <Mrkdwn text={f.text} />
              </div>
            ))}
          </div>
          {block.accessory?.type === 'image' &&
          block.accessory.image_url &&
          safeHref(block.accessory.image_url) ? (
            <img class="pg-thumb" src={block.accessory.image_url} alt={block.accessory.alt_text ?? ''} />
          ) : null}
        </div>
      );
    case 'context':
      return (
        <div class="pg-context">
          {(block.elements ?? []).map((e) =>
            e.type === 'image' ? null : (
              <span>
                <Mrkdwn text={textOf(e.text)} />
              </span>
            ),
          )}
        </div>
      );
    case 'actions':
      return (
        <div class="pg-actions">
          {(block.elements ?? []).map((e) => {
            const label = textOf(e.text);
            const href = e.url ? safeHref(e.url) : null;
            if (href)
              return (
                <a class="pg-button" href={href} target="_blank" rel="noopener">
                  {label}
                </a>
              );
            return (
              <button
                type="button"
                class={`pg-button ${e.style ?? ''}`}
                data-message-id={messageId}
                data-action-id={e.action_id}
                data-value={e.value ?? ''}
                data-block-id={block.block_id ?? ''}
              >
                {label}
              </button>
            );
          })}
        </div>
      );
    case 'image':
      // Uploaded charts arrive as PNG data URLs; nothing else gets a data: source.
      return block.image_url &&
        (safeHref(block.image_url) || block.image_url.startsWith('data:image/png;base64,')) ? (
        <img class="pg-image" src={block.image_url} alt={block.alt_text ?? ''} />
      ) : null;
    default:
      return null;
  }
}

/** One bot message, close to how Slack shows it. */
export function MessageView({ message }: { message: PlaygroundMessage }) {
  return (
    <article class={`pg-message ${message.visibility}`} id={`m-${message.id}`} data-message-id={message.id}>
      <div class="pg-meta">
        <strong>Loupe</strong> <span class="pg-badge">APP</span>
        {message.visibility === 'ephemeral' ? <span class="pg-only-you">Only visible to you</span> : null}
      </div>
      {message.blocks.length ? (
        (message.blocks as unknown as AnyBlock[]).map((b) => <Block block={b} messageId={message.id} />)
      ) : (
        <Mrkdwn text={message.text} />
      )}
    </article>
  );
}

const CLIENT_JS = `(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const log = document.getElementById('pg-log');
  const form = document.getElementById('pg-form');
  const input = document.getElementById('pg-input');
  const status = document.getElementById('pg-status');
  async function call(path, body) {
    status.textContent = '…';
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body), credentials: 'same-origin' });
    const doc = await res.json().catch(() => ({ error: 'bad answer' }));
    status.textContent = res.ok ? '' : (doc.error || 'failed');
    for (const m of doc.messages || []) {
      const tpl = document.createElement('template');
      tpl.innerHTML = m.html;
      const el = tpl.content.firstElementChild;
      const old = document.getElementById('m-' + m.id);
      if (old) old.replaceWith(el); else log.append(el);
    }
    log.scrollTop = log.scrollHeight;
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const echo = document.createElement('div');
    echo.className = 'pg-typed';
    echo.textContent = document.body.dataset.command + ' ' + text;
    log.append(echo);
    input.value = '';
    call('/playground/command', { text });
  });
  log.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action-id]');
    if (!b) return;
    b.disabled = true;
    call('/playground/action', { messageId: b.dataset.messageId, actionId: b.dataset.actionId, value: b.dataset.value, blockId: b.dataset.blockId });
  });
})();
`;

const CSS = `.pg-log{border:1px solid #ddd;border-radius:8px;padding:12px;min-height:200px;max-height:70vh;overflow:auto;background:#fff}
.pg-message{border-left:3px solid #611f69;padding:6px 10px;margin:10px 0}.pg-message.ephemeral{background:#f8f8fb}
.pg-meta{font-size:13px;color:#555;margin-bottom:4px}.pg-badge{font-size:10px;background:#eee;padding:0 3px;border-radius:3px}
.pg-only-you{margin-left:8px;font-style:italic}.pg-header{margin:4px 0}.pg-section{display:flex;gap:12px;justify-content:space-between;margin:6px 0}
.pg-thumb{width:72px;height:72px;object-fit:cover;border-radius:4px}.pg-context{font-size:12px;color:#616061;margin:4px 0}
.pg-actions{display:flex;gap:8px;margin:6px 0}.pg-button{border:1px solid #bbb;background:#fff;border-radius:4px;padding:3px 10px;cursor:pointer;font-size:13px;color:#1d1c1d;text-decoration:none}
.pg-button.primary{background:#007a5a;color:#fff;border-color:#007a5a}.pg-typed{color:#1264a3;font-family:monospace;margin-top:12px}
.pg-form{display:flex;gap:8px;margin-top:10px}.pg-form input{flex:1;font-size:15px;padding:6px}.mention{color:#1264a3;background:#e8f5fa}`;

/**
 * The playground page (`/playground`): type a command, see the bot's Block Kit answer rendered
 * close to Slack, click its buttons. Everything goes through the bot's own listeners via the
 * injected service. Mount under the board's session and CSRF checks:
 *
 * @example
 * app.route('/playground', createPlaygroundRoutes(deps, slack.playground));
 */
export function createPlaygroundRoutes(deps: Deps, service: PlaygroundService): Hono<BoardEnv> {
  const app = new Hono<BoardEnv>();
  const command = deps.config.LOUPE_SLASH_COMMAND;
  const userOf = (c: { get(k: 'session'): { user: string } | undefined }) =>
    c.get('session')?.user ?? 'local';
  const render = async (messages: PlaygroundMessage[]) => ({
    messages: await Promise.all(
      messages.map(async (m) => ({
        id: m.id,
        replaced: !!m.replaced,
        html: String(await (<MessageView message={m} />).toString()),
      })),
    ),
  });

  app.get('/', (c) =>
    renderPage(
      c,
      { title: 'Playground', scripts: ['/playground/app.js'], playground: true },
      <section class="playground">
        <style>{CSS}</style>
        <h1>Slack playground</h1>
        <p>
          Type what you would after <code>{command}</code> in Slack (try <code>help</code>,{' '}
          <code>mislabels</code>, <code>errors</code>, <code>uncertain 10 diverse</code>). Answers and buttons
          run through the bot's own code, without a workspace.
        </p>
        <div id="pg-log" class="pg-log" data-testid="playground-log" />
        <form id="pg-form" class="pg-form" autocomplete="off">
          <span>{command}</span>
          <input id="pg-input" name="text" placeholder="help" aria-label="command text" />
          <button type="submit">Send</button>
          <span id="pg-status" />
        </form>
      </section>,
    ),
  );
  app.get('/app.js', (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'no-cache');
    return c.body(CLIENT_JS.replace('document.body.dataset.command', JSON.stringify(command)));
  });
  app.post('/command', async (c) => {
    const body = await c.req.json().catch(() => null);
    if (!body || typeof body.text !== 'string' || body.text.length > 4000)
      return c.json({ error: 'expected JSON {"text": "<command text>"} (at most 4000 characters)' }, 400);
    return c.json(
      await render(await service.command({ text: body.text, user: userOf(c), userName: userOf(c) })),
    );
  });
  app.post('/action', async (c) => {
    const body = await c.req.json().catch(() => null);
    const ok =
      body &&
      typeof body.messageId === 'string' &&
      typeof body.actionId === 'string' &&
      typeof (body.value ?? '') === 'string' &&
      typeof (body.blockId ?? '') === 'string';
    if (!ok) return c.json({ error: 'expected JSON {"messageId", "actionId", "value", "blockId"}' }, 400);
    try {
      const messages = await service.action({
        user: userOf(c),
        userName: userOf(c),
        messageId: body.messageId,
        actionId: body.actionId,
        value: body.value ?? '',
        blockId: body.blockId || undefined,
      });
      return c.json(await render(messages));
    } catch (err) {
      if (err instanceof Error && err.name === 'PlaygroundError') return c.json({ error: err.message }, 409);
      throw err;
    }
  });
  return app;
}
