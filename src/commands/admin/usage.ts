import { summarizeUsage, type UsageGroup } from '../../db/usage.js';
import type { CommandDef } from '../../shell/types.js';
import { printUsage } from '../usage/report.js';
import { groupArg, monthArg } from '../usage/shared.js';

const GROUPS: UsageGroup[] = ['user', 'model'];

export const adminUsage: CommandDef = {
  path: ['admin', 'usage'],
  audit: 'admin-read',
  summary: 'everyone’s gateway usage for a month, per user or per model',
  adminOnly: true,
  options: {
    month: { type: 'string', value: 'YYYY-MM', describe: 'the month (default: this month, UTC)' },
    group: { type: 'string', value: 'BY', describe: 'group by user or model (default: user)', complete: async () => GROUPS },
  },
  examples: ['admin usage', 'admin usage --group model --month 2026-10 --json'],
  async run(ctx, args) {
    const month = monthArg(args);
    const group = groupArg(args, GROUPS, 'user');
    await ctx.services.usage.flush();
    printUsage(ctx, month, group, await summarizeUsage(ctx.db, month, group), args.json);
  },
};
