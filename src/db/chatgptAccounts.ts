// Queries on connected ChatGPT accounts, their sealed tokens and their usage windows.
// Everything a user's command reaches is scoped by the owner's user id.
import { inByteOrder } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import type { ChatgptAccountRow, ChatgptTokensRow, ChatgptWindowsRow } from './schema.js';

/** An account row with what --list shows beside it. */
export interface ChatgptAccountView extends ChatgptAccountRow {
  refreshed_at: string | null;
  windows: ChatgptWindowsRow | null;
}

async function withExtras(db: Db, rows: ChatgptAccountRow[]): Promise<ChatgptAccountView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const tokens = await db.selectFrom('chatgpt_tokens').select(['account_id', 'refreshed_at']).where('account_id', 'in', ids).execute();
  const windows = await db.selectFrom('chatgpt_windows').selectAll().where('account_id', 'in', ids).execute();
  return rows.map((r) => ({
    ...r,
    refreshed_at: tokens.find((t) => t.account_id === r.id)?.refreshed_at ?? null,
    windows: windows.find((w) => w.account_id === r.id) ?? null,
  }));
}

export async function listChatgptAccounts(db: Db, userId: number): Promise<ChatgptAccountView[]> {
  return withExtras(db, await db.selectFrom('chatgpt_accounts').selectAll().where('user_id', '=', userId).orderBy(inByteOrder(db, 'name')).execute());
}

export async function findChatgptAccount(db: Db, userId: number, name: string): Promise<ChatgptAccountView | undefined> {
  const row = await db.selectFrom('chatgpt_accounts').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  return row && (await withExtras(db, [row]))[0];
}

/** The row alone (the gateway's lookup). */
export async function findChatgptAccountRow(db: Db, userId: number, name: string): Promise<ChatgptAccountRow | undefined> {
  return db.selectFrom('chatgpt_accounts').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
}

export async function chatgptAccountById(db: Db, id: number): Promise<ChatgptAccountRow | undefined> {
  return db.selectFrom('chatgpt_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countChatgptAccounts(db: Db, userId: number): Promise<number> {
  const row = await db.selectFrom('chatgpt_accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A login: the row (kept, with its id, on a re-login: state back to ok). */
export async function upsertChatgptAccount(db: Db, userId: number, name: string, v: { email: string | null; plan: string | null; chatgptAccountId: string }): Promise<ChatgptAccountRow> {
  const now = nowIso();
  const set = { email: v.email, plan: v.plan, chatgpt_account_id: v.chatgptAccountId, state: 'ok', state_reason: null, updated_at: now };
  return db
    .insertInto('chatgpt_accounts')
    .values({ user_id: userId, name, ...set, created_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'name']).doUpdateSet(set))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A refresh's new id_token changed what --list shows. */
export async function updateChatgptProfile(db: Db, id: number, v: { email: string | null; plan: string | null }): Promise<void> {
  await db.updateTable('chatgpt_accounts').set({ email: v.email, plan: v.plan, updated_at: nowIso() }).where('id', '=', id).execute();
}

/** A permanent refresh failure: publishes topic 'chatgpt', so every instance forgets the tokens. */
export async function markChatgptNeedsLogin(db: Db, id: number, reason: string): Promise<void> {
  await db.updateTable('chatgpt_accounts').set({ state: 'needs_login', state_reason: reason.slice(0, 64), updated_at: nowIso() }).where('id', '=', id).execute();
}

export async function deleteChatgptAccount(db: Db, userId: number, id: number): Promise<boolean> {
  const result = await db.deleteFrom('chatgpt_accounts').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function readChatgptTokens(db: Db, accountId: number): Promise<ChatgptTokensRow | undefined> {
  return db.selectFrom('chatgpt_tokens').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

/** A refresh's tokens as generation `generation`, only over generation `expected`; returns whether a row was written. */
export async function writeChatgptTokens(db: Db, accountId: number, v: { sealed: string; accessExpiresAt: string | null; generation: number }, expected: number): Promise<boolean> {
  const set = { sealed: v.sealed, access_expires_at: v.accessExpiresAt, generation: v.generation, refreshed_at: nowIso() };
  const result = await db.updateTable('chatgpt_tokens').set(set).where('account_id', '=', accountId).where('generation', '=', expected).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A login's tokens: generation 1, or one above the stored one, counted in SQL (no lock needed). */
export async function storeChatgptLogin(db: Db, accountId: number, v: { sealed: string; accessExpiresAt: string | null }): Promise<void> {
  const set = { sealed: v.sealed, access_expires_at: v.accessExpiresAt, refreshed_at: nowIso() };
  await db
    .insertInto('chatgpt_tokens')
    .values({ account_id: accountId, ...set, generation: 1 })
    .onConflict((oc) => oc.column('account_id').doUpdateSet((eb) => ({ ...set, generation: eb('chatgpt_tokens.generation', '+', 1) })))
    .execute();
}

export type WindowValues = Omit<ChatgptWindowsRow, 'account_id'>;

export async function upsertChatgptWindows(db: Db, accountId: number, v: WindowValues): Promise<void> {
  await db.insertInto('chatgpt_windows').values({ account_id: accountId, ...v }).onConflict((oc) => oc.column('account_id').doUpdateSet(v)).execute();
}
