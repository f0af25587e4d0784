import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackWebClient } from '../../bot/jobs.ts';
import { slackUserNames } from '../../bot/users.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';

/** Slack user names for the board: users.info over the Web API, cached. */
describe('Slack user names', () => {
  let slack: FakeSlack;
  let client: NonNullable<ReturnType<typeof slackWebClient>>;
  const logger = createLogger({ level: 'error', write: () => {} });

  beforeAll(async () => {
    slack = await startFakeSlack();
    const config = loadConfig({ LOUPE_DEMO: '0', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl });
    const made = slackWebClient({ config, logger } as Deps, {
      retryConfig: { retries: 0 },
    });
    if (!made) throw new Error('no client');
    client = made;
    slack.users.set('U0MARIA', {
      id: 'U0MARIA',
      name: 'maria.k',
      real_name: 'Maria Kowalska',
      profile: { display_name: '', real_name: 'Maria Kowalska' },
    });
    slack.users.set('U0PAT', { id: 'U0PAT', name: 'pat', profile: { display_name: 'Pat' } });
  });
  afterAll(async () => slack?.close());

  it('names a user as Slack shows them, once per hour per user, sharing concurrent lookups', async () => {
    let clock = 0;
    const names = slackUserNames(client, { logger, now: () => clock });
    // No display name: the real name. Three pages at once make one call.
    expect(await Promise.all([names('U0MARIA'), names('U0MARIA'), names('U0MARIA')])).toEqual([
      'Maria Kowalska',
      'Maria Kowalska',
      'Maria Kowalska',
    ]);
    expect(await names('U0PAT')).toBe('Pat');
    expect(slack.callsTo('users.info').map((c) => c.body.user)).toEqual(['U0MARIA', 'U0PAT']);
    clock += 3599_000;
    await names('U0MARIA');
    expect(slack.callsTo('users.info')).toHaveLength(2);
    // After an hour, asked again (a renamed user shows their new name).
    slack.users.set('U0MARIA', { id: 'U0MARIA', name: 'maria.k', profile: { display_name: 'Maria K' } });
    clock += 2000;
    expect(await names('U0MARIA')).toBe('Maria K');
    expect(slack.callsTo('users.info')).toHaveLength(3);
  });

  it('an unknown user, or Slack refusing, gives null (the id is shown) and is not asked again for minutes', async () => {
    let clock = 0;
    const names = slackUserNames(client, { logger, now: () => clock });
    const before = slack.callsTo('users.info').length;
    expect(await names('U0GONE')).toBeNull();
    expect(await names('U0GONE')).toBeNull();
    expect(slack.callsTo('users.info').length).toBe(before + 1);
    slack.scopes.delete('users:read');
    try {
      expect(await names('U0PAT')).toBeNull();
    } finally {
      slack.scopes.add('users:read');
    }
    clock += 301_000;
    expect(await names('U0PAT')).toBe('Pat');
  });
});
