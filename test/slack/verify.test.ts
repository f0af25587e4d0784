import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackRequest } from '../../bot/verify.ts';

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack).
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TS = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const EXPECTED = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const at = (offset: number) => new Date((Number(TS) + offset) * 1000);

describe('Slack v0 signature', () => {
  it("matches Slack's known-answer vector", () => {
    expect(slackSignature(SECRET, TS, BODY)).toBe(EXPECTED);
    expect(
      verifySlackRequest({
        secret: SECRET,
        signature: EXPECTED,
        timestamp: TS,
        rawBody: Buffer.from(BODY),
        now: at(0),
      }),
    ).toEqual({ ok: true });
  });

  it('accepts 299 s of skew and refuses 301 s, both ways', () => {
    const check = (offset: number) =>
      verifySlackRequest({
        secret: SECRET,
        signature: EXPECTED,
        timestamp: TS,
        rawBody: BODY,
        now: at(offset),
      }).ok;
    expect([check(299), check(-299), check(301), check(-301)]).toEqual([true, true, false, false]);
  });

  it.each([
    ['a flipped signature character', { signature: EXPECTED.replace(/.$/, (c) => (c === '3' ? '4' : '3')) }],
    ['a missing signature', { signature: undefined }],
    ['a missing timestamp', { timestamp: undefined }],
    ['a non-numeric timestamp', { timestamp: '1531420618abc' }],
    ['a v1= prefix', { signature: EXPECTED.replace('v0=', 'v1=') }],
    ['a body changed after signing', { rawBody: BODY.replace('text=', 'text=x') }],
    ['another secret', { secret: 'not-the-secret' }],
  ])('refuses %s', (_name, change) => {
    const input = {
      secret: SECRET,
      signature: EXPECTED as string | undefined,
      timestamp: TS as string | undefined,
      rawBody: BODY,
      now: at(0),
      ...change,
    };
    expect(verifySlackRequest(input).ok).toBe(false);
  });
});
