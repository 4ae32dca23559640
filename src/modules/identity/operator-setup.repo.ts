import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { operatorSetupTokens } from './identity.tables.ts';

export type SetupLinkRow = typeof operatorSetupTokens.$inferSelect;

export async function insertLink(db: Db, link: { tokenHash: string; userId: number | null; expiresAt: Date; createdAt: Date }): Promise<void> {
  await db.insert(operatorSetupTokens).values(link);
}

export async function findLink(db: Db, tokenHash: string): Promise<SetupLinkRow | undefined> {
  const [row] = await db.select().from(operatorSetupTokens).where(eq(operatorSetupTokens.tokenHash, tokenHash));
  return row;
}

/** The link, locked: two redemptions of one link queue, and the second finds it used. */
export async function lockLink(db: Db, tokenHash: string): Promise<SetupLinkRow | undefined> {
  const [row] = await db.select().from(operatorSetupTokens).where(eq(operatorSetupTokens.tokenHash, tokenHash)).for('update');
  return row;
}

export async function markUsed(db: Db, tokenHash: string, at: Date): Promise<void> {
  await db.update(operatorSetupTokens).set({ usedAt: at }).where(eq(operatorSetupTokens.tokenHash, tokenHash));
}

/** Ends every unused link of the user (they set a password: older links must not set another). */
export async function retireOutstanding(db: Db, userId: number, at: Date): Promise<void> {
  await db
    .update(operatorSetupTokens)
    .set({ usedAt: at })
    .where(and(eq(operatorSetupTokens.userId, userId), isNull(operatorSetupTokens.usedAt)));
}
