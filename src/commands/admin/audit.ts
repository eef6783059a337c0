// `admin audit`: everyone's audit log, filtered by user, action and time.
import { queryAudit } from '../../db/audit.js';
import { findUserByName, listUsers } from '../../db/users.js';
import type { CommandDef } from '../../shell/types.js';
import { ADMIN_AUDIT_OPTIONS, filterFrom, printAudit } from '../auditView.js';

export const adminAudit: CommandDef = {
  path: ['admin', 'audit'],
  audit: 'admin-read',
  summary: "show everyone's audit log (who changed what, from where, and how it went)",
  adminOnly: true,
  options: { ...ADMIN_AUDIT_OPTIONS, user: { ...ADMIN_AUDIT_OPTIONS.user, complete: async (ctx) => (await listUsers(ctx.db)).map((u) => u.name) } },
  examples: ['admin audit --since 1d', 'admin audit --user alice --action integrations', 'admin audit --action "admin credits grant" --json'],
  async run(ctx, args) {
    const filter = filterFrom(args);
    if (args.user !== undefined) {
      const name = String(args.user);
      // A removed account's history stays: then its events are found by the name they were made under.
      const user = await findUserByName(ctx.db, name);
      if (user) filter.userId = user.id;
      else filter.actorName = name;
    }
    printAudit(ctx.out, await queryAudit(ctx.db, filter), args.json);
  },
};
