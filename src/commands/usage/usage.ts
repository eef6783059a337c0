import { summarizeUsage, type UsageGroup } from '../../db/usage.js';
import { costPerDay, dailyUsageByModel } from '../../db/usageDaily.js';
import { formatUsd } from '../../core/pricing.js';
import { chartWidth, dailyBars } from './chart.js';
import type { CommandDef } from '../../shell/types.js';
import { printUsage } from './report.js';
import { groupArg, monthArg, usageOptions } from './shared.js';

const GROUPS: UsageGroup[] = ['model', 'day', 'vm', 'integration', 'key', 'session'];

export const usage: CommandDef = {
  path: ['usage'],
  audit: 'read',
  summary: 'your gateway usage for a month: requests, tokens and cost per group (team_cost_micros: the part a team paid)',
  options: { ...usageOptions(GROUPS, 'model'), chart: { type: 'boolean', describe: "the month's cost per day as bars, fitted to the terminal (with --json: the report, unchanged)" } },
  examples: ['usage', 'usage --group day', 'usage --chart', 'usage --month 2026-10 --group vm --json'],
  async run(ctx, args) {
    const month = monthArg(args);
    const group = groupArg(args, GROUPS, 'model');
    await ctx.services.usage.flush(); // so a report right after a request includes it
    if (args.chart === true && !args.json) {
      const days = costPerDay(month, await dailyUsageByModel(ctx.db, month, { userId: ctx.user.id }));
      const total = days.reduce((t, d) => t + d.cost_micros, 0);
      ctx.out.line(`${ctx.out.c.bold(`Cost per day, ${month}`)}  (total ${formatUsd(total)})`);
      for (const line of dailyBars(days, chartWidth(ctx.columns?.()))) ctx.out.line(ctx.out.c.cyan(line));
      return;
    }
    // Team traffic is the sender's usage too (user_id), marked: the team paid for it, not the sender's credits.
    printUsage(ctx, month, group, await summarizeUsage(ctx.db, month, group, { userId: ctx.user.id }), args.json, { teamCost: true });
  },
};
