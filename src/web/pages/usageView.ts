// What the usage pages share (/user, /team, /admin): the month from ?month (validated, else 400),
// its switcher, the per-day chart stacked by model, and the usage tables, whose numbers are
// summarizeUsage's, as `usage --json` prints them.
import { checkMonth, monthOf } from '../../core/month.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { dialectOf } from '../../db/dialect.js';
import { summarizeUsage, type UsageGroup, type UsageScope, type UsageSummary } from '../../db/usage.js';
import { dailyUsageByModel, daysOf } from '../../db/usageDaily.js';
import { GatehouseError } from '../../errors.js';
import { jsonBlock, table, usd, type Column } from '../layout.js';
import { esc } from '../respond.js';
import type { WebContext } from '../types.js';

/**
 * Renders a page's sections. SQLite answers synchronously: each query (~10 ms over 10,000 rows)
 * holds the event loop, and promise chains never give it back, so eight pages at once would make
 * everyone else wait for all of them. There, one section at a time, with a turn of the loop in
 * between; PostgreSQL's queries run concurrently over its pool.
 */
export async function renderSections(ctx: WebContext, parts: (() => Promise<string>)[]): Promise<string[]> {
  if (dialectOf(ctx.deps.db) === 'postgres') return Promise.all(parts.map((p) => p()));
  const out: string[] = [];
  for (const part of parts) {
    await nextTurn();
    out.push(await part());
  }
  return out;
}

/** Months the pages show: the Date arithmetic below is exact from 1970 on, and nobody metered earlier. */
const FIRST_MONTH = '1970-01';

/** ?month=YYYY-MM, or this month (UTC). Anything else is a 400, never a guess. */
export function monthParam(ctx: WebContext): string {
  const values = ctx.url.searchParams.getAll('month');
  if (values.length === 0) return monthOf(new Date());
  const month = values.length === 1 && values[0].length === 7 ? checkMonth(values[0]) : undefined;
  if (!month || month < FIRST_MONTH) throw new GatehouseError('invalid_input', `Invalid month: use ?month=YYYY-MM, e.g. ?month=${monthOf(new Date())}.`);
  return month;
}

function shift(month: string, by: number): string {
  const [y, m] = month.split('-').map(Number);
  return monthOf(new Date(Date.UTC(y, m - 1 + by, 1)));
}

/** « previous · MONTH · next »; no link past this month or before the first. */
export function monthSwitcher(path: string, month: string): string {
  const prev = shift(month, -1);
  const next = shift(month, 1);
  const link = (id: string, m: string, label: string, ok: boolean) =>
    ok ? `<a id="${id}" href="${esc(`${path}?month=${m}`)}" data-month="${esc(m)}">${esc(label)}</a>` : `<span id="${id}" class="off">${esc(label)}</span>`;
  return `<nav class="months">${link('month-prev', prev, `← ${prev}`, prev >= FIRST_MONTH)}<strong id="month" data-month="${esc(month)}">${esc(month)}</strong>${link('month-next', next, `${next} →`, next <= monthOf(new Date()))}</nav>`;
}

/** The chart: a canvas that usage.js fills from the JSON block beside it (USD per day and model). */
export async function usageChart(ctx: WebContext, month: string, scope: UsageScope): Promise<string> {
  const rows = await dailyUsageByModel(ctx.deps.db, month, scope);
  const days = daysOf(month);
  const index = new Map(days.map((d, i) => [d, i]));
  const byModel = new Map<string, number[]>();
  for (const r of rows) {
    let series = byModel.get(r.model);
    if (!series) byModel.set(r.model, (series = days.map(() => 0)));
    const i = index.get(r.day);
    if (i !== undefined) series[i] += r.cost_micros;
  }
  const data = { month, labels: days.map((d) => d.slice(8)), series: [...byModel].map(([model, micros]) => ({ model, micros })) };
  const caption = rows.length === 0 ? `<p class="empty" id="usage-chart-empty">No usage in ${esc(month)}.</p>` : '';
  return `<section id="usage-chart-section"><h2>Cost per day, by model</h2>${caption}<div class="chart"><canvas id="usage-chart" role="img" aria-label="cost per day in ${esc(month)}, stacked by model"></canvas></div>${jsonBlock('usage-chart-data', data)}</section>`;
}

const COLUMNS: Column<UsageSummary>[] = [
  { key: 'requests', label: 'Requests', cell: (r) => r.requests, num: true },
  { key: 'input_tokens', label: 'Input', cell: (r) => r.input_tokens, num: true },
  { key: 'cache_read_tokens', label: 'Cache read', cell: (r) => r.cache_read_tokens, num: true },
  { key: 'cache_write_tokens', label: 'Cache write', cell: (r) => r.cache_write_tokens, num: true },
  { key: 'output_tokens', label: 'Output', cell: (r) => r.output_tokens, num: true },
  { key: 'cost', label: 'Cost', cell: (r) => usd(r.cost_micros), num: true },
];

function totalOf(rows: UsageSummary[]): UsageSummary {
  const t: UsageSummary = { group: 'total', requests: 0, input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, output_tokens: 0, cost_micros: 0, team_cost_micros: 0 };
  for (const r of rows) {
    t.requests += r.requests;
    t.input_tokens += r.input_tokens;
    t.cache_read_tokens += r.cache_read_tokens;
    t.cache_write_tokens += r.cache_write_tokens;
    t.output_tokens += r.output_tokens;
    t.cost_micros += r.cost_micros;
    t.team_cost_micros += r.team_cost_micros;
  }
  return t;
}

/** `table#usage-by-GROUP`: one row a group (tr[data-key=GROUP]), the total last (tr.total[data-key=total]). */
export async function usageTable(ctx: WebContext, month: string, group: UsageGroup, label: string, scope: UsageScope): Promise<string> {
  const rows = await summarizeUsage(ctx.deps.db, month, group, scope);
  const columns = [{ key: group, label, cell: (r: UsageSummary) => r.group }, ...COLUMNS];
  const total = totalOf(rows);
  const totalRow = `<tr class="total" data-key="total">${columns.map((c, i) => `<td data-col="${esc(c.key)}"${i ? ' class="num"' : ''}>${esc(i ? c.cell(total) : 'Total')}</td>`).join('')}</tr>`;
  return `<section><h2>By ${esc(label)}</h2>${table(`usage-by-${group}`, columns, rows, (r) => r.group, `No usage in ${month}.`, totalRow)}</section>`;
}
