/** The token store, loaded when a token command runs rather than at every start. */
const tokens = () => import('../store/tokens.ts');
import type { CliContext, RegisterCommand } from './context.ts';
import { printJson, printTable } from './output.ts';

/** Token mistakes (a taken name, an unknown one) are the user's to fix: one line, exit 1. */
async function report(ctx: CliContext, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    const { TokenError } = await tokens();
    if (!(err instanceof TokenError)) throw err;
    ctx.io.err(`loupe token: ${err.message}\n`);
    ctx.io.fail(1);
  }
}

export const registerToken: RegisterCommand = (program, ctx) => {
  const token = program
    .command('token')
    .description('API tokens for `loupe ingest --server` and the HTTP ingest API (stored hashed)');

  token
    .command('create')
    .description('Create a token; it is printed once and cannot be shown again')
    .argument('<name>', 'what the token is for, e.g. training-cluster')
    .option('--json', 'print one JSON document')
    .action(async (name: string, opts: { json?: boolean }) =>
      report(ctx, async () => {
        const { createApiToken } = await tokens();
        const { token: value, info } = await ctx.withDeps((deps) => createApiToken(deps.db, { name }));
        if (opts.json) return printJson(ctx.io, { name: info.name, token: value });
        // The token alone on stdout, so `export LOUPE_TOKEN=$(loupe token create ci)` works.
        ctx.io.out(`${value}\n`);
        ctx.io.err(
          `Token "${info.name}" created. It is shown only now: store it as LOUPE_TOKEN where the ingest runs.\n`,
        );
      }),
    );

  token
    .command('list')
    .description('List tokens (names and dates, never the tokens)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { listApiTokens } = await tokens();
      const list = await ctx.withDeps((deps) => listApiTokens(deps.db));
      if (opts.json) return printJson(ctx.io, { tokens: list });
      printTable(
        ctx.io,
        list.map((t) => ({
          name: t.name,
          created: t.createdAt.toISOString(),
          'last used': t.lastUsedAt?.toISOString() ?? '',
          revoked: t.revokedAt?.toISOString() ?? '',
        })),
        ['name', 'created', 'last used', 'revoked'],
      );
    });

  token
    .command('revoke')
    .description('Revoke a token by name; requests carrying it are refused from now on')
    .argument('<name>', 'the token name')
    .action(async (name: string) =>
      report(ctx, async () => {
        const { revokeApiToken } = await tokens();
        const info = await ctx.withDeps((deps) => revokeApiToken(deps.db, name, deps.clock.now()));
        ctx.io.out(`Token "${info.name}" is revoked.\n`);
      }),
    );
};
