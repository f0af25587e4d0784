import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { apiTokens } from '../../db/schema.ts';

/** Tokens start with this, so a leaked one is recognisable in logs and secret scanners. */
const PREFIX = 'loupe_';

export interface ApiTokenInfo {
  id: number;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

/** Only the hash is stored: a database dump does not hand out working tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Create a named API token; the token itself is returned once and never stored.
 *
 * @example
 * const { token } = await createApiToken(db, { name: 'training-cluster' });
 */
export async function createApiToken(
  db: Db,
  { name, random = () => randomBytes(32) }: { name: string; random?: () => Buffer },
): Promise<{ token: string; info: ApiTokenInfo }> {
  const trimmed = name.trim();
  if (!trimmed) throw new TokenError('a token needs a name, e.g. `loupe token create training-cluster`');
  const token = `${PREFIX}${random().toString('base64url')}`;
  const [row] = await db
    .insert(apiTokens)
    .values({ name: trimmed, hash: hashToken(token) })
    .onConflictDoNothing({ target: apiTokens.name })
    .returning();
  if (!row) throw new TokenError(`a token named "${trimmed}" exists; revoke it or choose another name`);
  return { token, info: toInfo(row) };
}

/** Every token, oldest first, revoked ones included (marked). */
export async function listApiTokens(db: Db): Promise<ApiTokenInfo[]> {
  const rows = await db.select().from(apiTokens).orderBy(asc(apiTokens.id));
  return rows.map(toInfo);
}

/** Revoke by name; revoking twice is harmless. */
export async function revokeApiToken(db: Db, name: string, now: Date): Promise<ApiTokenInfo> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.name, name), isNull(apiTokens.revokedAt)))
    .returning();
  if (row) return toInfo(row);
  const [existing] = await db.select().from(apiTokens).where(eq(apiTokens.name, name));
  if (existing) return toInfo(existing);
  throw new TokenError(`no token named "${name}"; \`loupe token list\` shows the names`);
}

/** The live token with this value (and note its use), or null for an unknown or revoked one. */
export async function findLiveToken(db: Db, token: string, now: Date): Promise<ApiTokenInfo | null> {
  const [row] = await db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(and(eq(apiTokens.hash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .returning();
  return row ? toInfo(row) : null;
}

function toInfo(row: typeof apiTokens.$inferSelect): ApiTokenInfo {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}
