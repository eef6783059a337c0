import { checkMonth, monthOf } from '../../core/month.js';
import type { UsageGroup } from '../../db/usage.js';
import { GatehouseError } from '../../errors.js';
import type { ParsedArgs } from '../../shell/types.js';

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
