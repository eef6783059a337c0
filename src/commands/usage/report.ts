// The usage table shared by "usage", "admin usage" and "team usage": one row per group, totals last.
import { formatUsd } from '../../core/pricing.js';
import type { UsageSummary } from '../../db/usage.js';
import type { CommandContext } from '../../shell/types.js';

export interface PrintOptions {
  /** A person's own report: say per group what a team paid (team_cost_micros in JSON, a footnote in text). */
  teamCost?: boolean;
}

const ZERO: UsageSummary = { group: 'total', requests: 0, input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, output_tokens: 0, cost_micros: 0, team_cost_micros: 0 };

function totalOf(rows: UsageSummary[]): UsageSummary {
  return rows.reduce(
    (t, r) => ({
      group: 'total',
      requests: t.requests + r.requests,
      input_tokens: t.input_tokens + r.input_tokens,
      cache_read_tokens: t.cache_read_tokens + r.cache_read_tokens,
      cache_write_tokens: t.cache_write_tokens + r.cache_write_tokens,
      output_tokens: t.output_tokens + r.output_tokens,
      cost_micros: t.cost_micros + r.cost_micros,
      team_cost_micros: t.team_cost_micros + r.team_cost_micros,
    }),
    ZERO,
  );
}

export function printUsage(ctx: CommandContext, month: string, group: string, rows: UsageSummary[], json: boolean, options: PrintOptions = {}): void {
  const total = totalOf(rows);
  const shown = (k: string) => k !== 'group' && (k !== 'team_cost_micros' || options.teamCost === true);
  const withUsd = (r: UsageSummary) => ({ [group]: r.group, ...Object.fromEntries(Object.entries(r).filter(([k]) => shown(k))), cost_usd: r.cost_micros / 1_000_000 });
  if (json) return void ctx.out.json({ month, group, rows: rows.map(withUsd), total: withUsd(total) });
  if (rows.length === 0) return void ctx.out.line(`No usage in ${month}.`);
  const cells = (r: UsageSummary) => [r.group, String(r.requests), String(r.input_tokens), String(r.cache_read_tokens), String(r.cache_write_tokens), String(r.output_tokens), formatUsd(r.cost_micros)];
  ctx.out.table([...rows.map(cells), cells(total).map((c) => ctx.out.c.bold(c))], [group.toUpperCase(), 'REQUESTS', 'INPUT', 'CACHE READ', 'CACHE WRITE', 'OUTPUT', 'COST']);
  if (options.teamCost && total.team_cost_micros > 0) {
    ctx.out.line(ctx.out.c.dim(`Of this, ${formatUsd(total.team_cost_micros)} went through team integrations and was charged to the team, not to your credits.`));
  }
}
