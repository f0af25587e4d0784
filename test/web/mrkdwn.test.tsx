import { expect, it } from 'vitest';
import { MessageView, Mrkdwn } from '../../web/playground.tsx';

const html = (text: string) => String(<Mrkdwn text={text} />);

it('renders emoji as Slack does, and leaves underscores inside their names alone', () => {
  expect(html(':white_check_mark: Approved :tada:')).toBe('✅ Approved 🎉');
  expect(html('snake_case_name stays and :not_an_emoji: too')).toBe(
    'snake_case_name stays and :not_an_emoji: too',
  );
  expect(html('an _italic_ word')).toBe('an <em>italic</em> word');
});

it('renders bold around a link as a bold link, with no asterisks left', () => {
  expect(html('Batch *<https://b.example/x|week-12>* created')).toBe(
    'Batch <strong><a href="https://b.example/x">week-12</a></strong> created',
  );
  expect(html('*a* and `c*d` and <@U1>\nnext')).toBe(
    '<strong>a</strong> and <code>c*d</code> and <span class="mention">@U1</span><br/>next',
  );
  expect(html('<javascript:alert(1)|x> &lt;b&gt;')).toBe('x &lt;b&gt;');
});

it('shows an uploaded chart as the picture', () => {
  const out = String(
    <MessageView
      message={{
        id: 'm1',
        visibility: 'in_channel',
        text: 'chart',
        blocks: [
          { type: 'image', image_url: 'data:image/png;base64,iVBORw0KGgo=', alt_text: 'Digest chart' },
        ],
      }}
    />,
  );
  expect(out).toContain('<img class="pg-image" src="data:image/png;base64,iVBORw0KGgo=" alt="Digest chart"');
  const svg = String(
    <MessageView
      message={{
        id: 'm2',
        visibility: 'in_channel',
        text: 'x',
        blocks: [{ type: 'image', image_url: 'data:image/svg+xml,<svg/>', alt_text: 'x' }],
      }}
    />,
  );
  expect(svg).not.toContain('<img');
});
