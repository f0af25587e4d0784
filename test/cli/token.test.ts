import { expect, it } from 'vitest';
import { apiTokens } from '../../db/schema.ts';
import { serverCliContext } from '../../src/cli/context.ts';
import { createProgram, runProgram } from '../../src/cli/program.ts';
import { findLiveToken, hashToken } from '../../src/store/tokens.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

describeEachDriver('loupe token', (ctx) => {
  async function loupe(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    let exitCode = 0;
    const io = {
      out: (s: string) => void out.push(s),
      err: (s: string) => void err.push(s),
      fail: (code: number) => {
        exitCode = code;
      },
      progress: 'off' as const,
    };
    await runProgram(createProgram(serverCliContext(testDeps(ctx().database), io)), args, io);
    return { out: out.join(''), err: err.join(''), exitCode };
  }

  it('creates a token, prints it once on stdout, and stores its sha256 only', async () => {
    const r = await loupe(['token', 'create', 'ci']);
    expect(r.exitCode).toBe(0);
    const token = r.out.trim();
    expect(token).toMatch(/^loupe_[\w-]{43}$/);
    expect(r.err).toContain('shown only now');
    const [row] = await ctx().database.db.select().from(apiTokens);
    expect(row.hash).toBe(hashToken(token));
    expect(await findLiveToken(ctx().database.db, token, new Date())).toMatchObject({ name: 'ci' });

    const list = await loupe(['token', 'list', '--json']);
    expect(list.out).not.toContain(token);
    expect(JSON.parse(list.out).tokens).toMatchObject([{ name: 'ci', revokedAt: null }]);
  });

  it('refuses a second token of the same name, and revokes by name', async () => {
    const again = await loupe(['token', 'create', 'ci']);
    expect(again).toMatchObject({ out: '', exitCode: 1 });
    expect(again.err).toBe('loupe token: a token named "ci" exists; revoke it or choose another name\n');
    const { out: second } = await loupe(['token', 'create', 'laptop']);

    expect(await loupe(['token', 'revoke', 'laptop'])).toEqual({
      out: 'Token "laptop" is revoked.\n',
      err: '',
      exitCode: 0,
    });
    expect(await findLiveToken(ctx().database.db, second.trim(), new Date())).toBeNull();
    const list = await loupe(['token', 'list']);
    expect(list.out).toMatch(/^laptop\s+\S+\s+\S+$/m);

    const unknown = await loupe(['token', 'revoke', 'nobody']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.err).toMatch(/no token named "nobody"/);
  });
});
