// The usage table shared by "usage" and "admin usage": one row per group, totals last.
import { formatUsd } from '../../core/pricing.js';
import type { UsageSummary } from '../../db/usage.js';
import type { CommandContext } from '../../shell/types.js';

export function printUsage(ctx: CommandContext, month: string, group: string, rows: UsageSummary[], json: boolean): void {
  const total = rows.reduce(
    (t, r) => ({
      group: 'total',
      requests: t.requests + r.requests,
      input_tokens: t.input_tokens + r.input_tokens,
      cache_read_tokens: t.cache_read_tokens + r.cache_read_tokens,
      cache_write_tokens: t.cache_write_tokens + r.cache_write_tokens,
      output_tokens: t.output_tokens + r.output_tokens,
      cost_micros: t.cost_micros + r.cost_micros,
    }),
    { group: 'total', requests: 0, input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, output_tokens: 0, cost_micros: 0 },
  );
  const withUsd = (r: UsageSummary) => ({ [group]: r.group, ...Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'group')), cost_usd: r.cost_micros / 1_000_000 });
  if (json) return void ctx.out.json({ month, group, rows: rows.map(withUsd), total: withUsd(total) });
  if (rows.length === 0) return void ctx.out.line(`No usage in ${month}.`);
  const cells = (r: UsageSummary) => [r.group, String(r.requests), String(r.input_tokens), String(r.cache_read_tokens), String(r.cache_write_tokens), String(r.output_tokens), formatUsd(r.cost_micros)];
  ctx.out.table([...rows.map(cells), cells(total).map((c) => ctx.out.c.bold(c))], [group.toUpperCase(), 'REQUESTS', 'INPUT', 'CACHE READ', 'CACHE WRITE', 'OUTPUT', 'COST']);
}
