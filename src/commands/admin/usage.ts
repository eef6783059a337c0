import { summarizeUsage, type UsageGroup } from '../../db/usage.js';
import type { CommandDef } from '../../shell/types.js';
import { printUsage } from '../usage/report.js';
import { groupArg, monthArg, usageOptions } from '../usage/shared.js';

const GROUPS: UsageGroup[] = ['user', 'model'];

export const adminUsage: CommandDef = {
  path: ['admin', 'usage'],
  audit: 'admin-read',
  summary: 'everyone’s gateway usage for a month, per user or per model',
  adminOnly: true,
  options: usageOptions(GROUPS, 'user'),
  examples: ['admin usage', 'admin usage --group model --month 2026-10 --json'],
  async run(ctx, args) {
    const month = monthArg(args);
    const group = groupArg(args, GROUPS, 'user');
    await ctx.services.usage.flush();
    printUsage(ctx, month, group, await summarizeUsage(ctx.db, month, group), args.json);
  },
};
