import { requireMembership, requireRole } from '../../core/teams.js';
import { summarizeUsage, type UsageGroup } from '../../db/usage.js';
import type { CommandDef } from '../../shell/types.js';
import { printUsage } from '../usage/report.js';
import { groupArg, monthArg, usageOptions } from '../usage/shared.js';

const GROUPS: UsageGroup[] = ['member', 'model', 'day', 'integration'];

export const teamUsage: CommandDef = {
  path: ['team', 'usage'],
  audit: 'read',
  summary: "the team's usage through its integrations for a month (owner and admins)",
  options: usageOptions(GROUPS, 'member'),
  examples: ['team usage', 'team usage --group model', 'team usage --month 2026-10 --group day --json'],
  async run(ctx, args) {
    const m = await requireMembership(ctx.db, ctx.user.id);
    requireRole(m, 'admin', "see the team's usage");
    const month = monthArg(args);
    const group = groupArg(args, GROUPS, 'member');
    await ctx.services.usage.flush(); // so a report right after a request includes it
    printUsage(ctx, month, group, await summarizeUsage(ctx.db, month, group, { teamId: m.teamId }), args.json);
  },
};
