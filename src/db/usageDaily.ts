// A month's usage per day and model, for the charts (issue 17): one GROUP BY, whatever the number
// of rows, scoped exactly as summarizeUsage (src/db/usage.ts), so a chart adds up to `usage --json`.
import { sql } from 'kysely';
import { dialectOf } from './dialect.js';
import type { Db } from './open.js';
import type { UsageScope } from './usage.js';

export interface DailyModelUsage {
  /** YYYY-MM-DD (UTC), as `usage --group day` names it. */
  day: string;
  model: string;
  requests: number;
  cost_micros: number;
}

const DAY = 'substr(usage.created_at, 1, 10)';

export async function dailyUsageByModel(db: Db, month: string, scope: UsageScope = {}): Promise<DailyModelUsage[]> {
  const c = dialectOf(db) === 'postgres' ? ' collate "C"' : '';
  let q = db
    .selectFrom('usage')
    .innerJoin('users', 'users.id', 'usage.user_id') // as summarizeUsage, so both count the same rows
    .select([
      sql<string>`${sql.raw(DAY)}`.as('day'),
      'usage.model as model',
      (eb) => eb.fn.countAll<number>().as('requests'),
      (eb) => eb.fn.sum<number>('usage.cost_micros').as('cost_micros'),
    ])
    .where('usage.month', '=', month)
    .groupBy([sql.raw(DAY), 'usage.model'])
    .orderBy(sql.raw(`${DAY}${c}`))
    .orderBy(sql.raw(`usage.model${c}`));
  if (scope.userId !== undefined) q = q.where('usage.user_id', '=', scope.userId);
  if (scope.teamId !== undefined) q = q.where('usage.team_id', '=', scope.teamId);
  const rows = await q.execute();
  return rows.map((r) => ({ day: String(r.day), model: String(r.model), requests: Number(r.requests), cost_micros: Number(r.cost_micros) }));
}

/** Cost per day for every day of the month (zero where nothing ran), for the terminal chart. */
export function costPerDay(month: string, rows: DailyModelUsage[]): { day: string; cost_micros: number }[] {
  const byDay = new Map<string, number>();
  for (const r of rows) byDay.set(r.day, (byDay.get(r.day) ?? 0) + r.cost_micros);
  return daysOf(month).map((day) => ({ day, cost_micros: byDay.get(day) ?? 0 }));
}

/** YYYY-MM-01 … the month's last day. */
export function daysOf(month: string): string[] {
  const [y, m] = month.split('-').map(Number);
  const count = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: count }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}
