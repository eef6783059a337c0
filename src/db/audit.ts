// Queries on the audit log (migration 0013): insert one event, read with filters, prune old rows.
// Text is clipped to its column here, so PostgreSQL's varchar never refuses an audit row.
import type { Db } from './open.js';
import type { AuditRow, NewAuditRow } from './schema.js';

/** varchar(n) of each text column (src/db/migrations/0013_audit_log.ts). */
const LENGTHS = {
  at: 32, instance: 32, via: 8, actor_name: 64, key_fingerprint: 128, api_key_name: 64, address: 64, action: 64, target: 200, detail: 500, outcome: 32,
} as const;

/** Rows one prune statement deletes: a large backlog goes in short statements, never one long lock. */
export const PRUNE_BATCH = 5000;

export async function insertAuditRow(db: Db, row: NewAuditRow): Promise<void> {
  const clipped = { ...row } as Record<string, unknown>;
  for (const [column, max] of Object.entries(LENGTHS)) {
    const v = clipped[column];
    if (typeof v === 'string') clipped[column] = clip(v, max);
  }
  await db.insertInto('audit_log').values(clipped as NewAuditRow).execute();
}

export interface AuditFilter {
  /** Rows where this user acted or was acted on (a user's own `audit`, `admin audit --user`). */
  userId?: number;
  /** `admin audit --user` for a name no account has now: rows it acted in under that name. */
  actorName?: string;
  /** Exact action, or its first words: `integrations` matches `integrations edit`. Plain words only. */
  action?: string;
  /** ISO time: rows at or after it. */
  since?: string;
  limit: number;
}

/** Newest first. */
export async function queryAudit(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  const { userId, actorName, action } = f;
  if (userId !== undefined) q = q.where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('subject_user_id', '=', userId)]));
  if (actorName !== undefined) q = q.where('actor_name', '=', actorName);
  // The callers allow only [a-z-] words and spaces, so LIKE's % and _ cannot appear in `action`.
  if (action !== undefined) q = q.where((eb) => eb.or([eb('action', '=', action), eb('action', 'like', `${action} %`)]));
  if (f.since !== undefined) q = q.where('at', '>=', f.since);
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** Deletes rows older than `cutoff` (ISO), one batch a statement, until a batch comes back short. */
export async function pruneAudit(db: Db, cutoff: string): Promise<number> {
  let total = 0;
  for (;;) {
    const oldest = db.selectFrom('audit_log').select('id').where('at', '<', cutoff).limit(PRUNE_BATCH);
    const result = await db.deleteFrom('audit_log').where('id', 'in', oldest).executeTakeFirst();
    const n = Number(result.numDeletedRows);
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}

/** As gateway/usageRow.ts clips: at most `max` UTF-16 units, no NUL, no half surrogate pair. */
function clip(s: string, max: number): string {
  if (s.includes('\u0000')) s = s.replaceAll('\u0000', '');
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
