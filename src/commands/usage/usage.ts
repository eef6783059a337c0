import { summarizeUsage, type UsageGroup } from '../../db/usage.js';
import type { CommandDef } from '../../shell/types.js';
import { printUsage } from './report.js';
import { groupArg, monthArg, usageOptions } from './shared.js';

const GROUPS: UsageGroup[] = ['model', 'day', 'vm', 'integration', 'key', 'session'];

export const usage: CommandDef = {
  path: ['usage'],
  audit: 'read',
  summary: 'your gateway usage for a month: requests, tokens and cost per group (team_cost_micros: the part a team paid)',
  options: usageOptions(GROUPS, 'model'),
  examples: ['usage', 'usage --group day', 'usage --month 2026-10 --group vm --json'],
  async run(ctx, args) {
    const month = monthArg(args);
    const group = groupArg(args, GROUPS, 'model');
    await ctx.services.usage.flush(); // so a report right after a request includes it
    // Team traffic is the sender's usage too (user_id), marked: the team paid for it, not the sender's credits.
    printUsage(ctx, month, group, await summarizeUsage(ctx.db, month, group, { userId: ctx.user.id }), args.json, { teamCost: true });
  },
};
