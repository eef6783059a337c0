// The commands that act on the database directly (beside or without `serve`): open, run, close.
import os from 'node:os';
import { AuditLog, type AuditEvent } from '../core/auditLog.js';
import { openDatabase, type Db } from '../db/open.js';
import { silentLog } from '../log.js';
import type { ParsedArgs } from '../shell/types.js';
import { configFrom } from './settings.js';
import type { CliContext } from './types.js';

export async function withDatabase<T>(ctx: CliContext, args: ParsedArgs, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(configFrom(ctx.env, args).database);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** Records an operator's change (`via cli`). A failed write is reported on stderr, not thrown: the change is made. */
export async function recordCli(ctx: CliContext, db: Db, event: Omit<AuditEvent, 'via' | 'actorUserId' | 'actorName'>): Promise<void> {
  const log = { ...silentLog, error: () => ctx.out.warn('the audit row for this change could not be written') };
  const audit = new AuditLog(db, { instance: `cli:${os.hostname()}`.slice(0, 32), log });
  await audit.record({ ...event, via: 'cli', actorUserId: null, actorName: `operator:${ctx.osUser}` });
}
