// `audit`: what happened to the caller's account: events they caused, and admins' changes to it.
import { queryAudit } from '../../db/audit.js';
import type { CommandDef } from '../../shell/types.js';
import { filterFrom, LIMIT_OPTION, printAudit, SINCE_OPTION } from '../auditView.js';

export const audit: CommandDef = {
  path: ['audit'],
  audit: 'read',
  summary: "show your account's audit log: changes you made, and changes made to it",
  options: { since: SINCE_OPTION, limit: LIMIT_OPTION },
  examples: ['audit', 'audit --since 7d', 'audit --since 2026-01-01 --limit 1000 --json'],
  async run(ctx, args) {
    const rows = await queryAudit(ctx.db, { ...filterFrom(args), userId: ctx.user.id });
    printAudit(ctx.out, rows, args.json);
  },
};
