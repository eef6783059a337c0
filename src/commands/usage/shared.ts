import { checkMonth, monthOf } from '../../core/month.js';
import type { UsageGroup } from '../../db/usage.js';
import { GatehouseError } from '../../errors.js';
import type { OptionSpec, ParsedArgs } from '../../shell/types.js';

export function monthArg(args: ParsedArgs): string {
  if (args.month === undefined) return monthOf(new Date());
  const month = checkMonth(String(args.month));
  if (!month) throw new GatehouseError('invalid_input', `invalid month "${args.month}": use YYYY-MM, e.g. ${monthOf(new Date())}`);
  return month;
}

export function groupArg(args: ParsedArgs, allowed: UsageGroup[], fallback: UsageGroup): UsageGroup {
  const group = (args.group ?? fallback) as UsageGroup;
  if (!allowed.includes(group)) throw new GatehouseError('invalid_input', `invalid group "${args.group}": use one of ${allowed.join(', ')}`);
  return group;
}

/** --month and --group, as every usage report takes them (usage, team usage, admin usage). */
export function usageOptions(groups: UsageGroup[], fallback: UsageGroup): Record<string, OptionSpec> {
  return {
    month: { type: 'string', value: 'YYYY-MM', describe: 'the month (default: this month, UTC)' },
    group: { type: 'string', value: 'BY', describe: `group by ${groups.join(', ')} (default: ${fallback})`, complete: async () => groups },
  };
}
