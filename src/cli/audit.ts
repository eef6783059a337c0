// `gatehouse audit`: the operator's view of the audit log, with `admin audit`'s flags, read from
// the database directly (no SSH account needed, serve need not run).
import { queryAudit } from '../db/audit.js';
import { findUserByName } from '../db/users.js';
import { ADMIN_AUDIT_OPTIONS, filterFrom, printAudit } from '../commands/auditView.js';
import { DATABASE_OPTIONS } from './settings.js';
import { withDatabase } from './database.js';
import type { CliCommandDef } from './types.js';

export const audit: CliCommandDef = {
  path: ['audit'],
  summary: 'show the audit log: who changed what, from where, and how it went',
  options: { ...ADMIN_AUDIT_OPTIONS, ...DATABASE_OPTIONS },
  examples: ['gatehouse audit --since 1d', 'gatehouse audit --user alice --action integrations --json'],
  async run(ctx, args) {
    const filter = filterFrom(args);
    const rows = await withDatabase(ctx, args, async (db) => {
      if (args.user !== undefined) {
        const user = await findUserByName(db, String(args.user));
        if (user) filter.userId = user.id;
        else filter.actorName = String(args.user); // a removed account, or operator:<os user>
      }
      return queryAudit(db, filter);
    });
    printAudit(ctx.out, rows, args.json);
  },
};
