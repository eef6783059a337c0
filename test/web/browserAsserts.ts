// The browser tests' comparisons (issue 17.8): a usage table as the page shows it against the
// report `usage --json` prints for the same month and group (to the token and the cent), and the
// per-day chart Chart.js drew against `usage --group day --json`.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { formatUsd } from '../../src/core/pricing.js';
import { charts } from './pageProbe.js';

export interface ShownRow {
  key: string;
  cells: Record<string, string>;
}

/** `table#ID`'s body rows: data-key, and each cell's text by its data-col. */
export function shownRows(page: Page, tableId: string): Promise<ShownRow[]> {
  return page.$$eval(`table#${tableId} tbody tr`, (rows: any[]) =>
    rows.map((tr) => ({
      key: String(tr.dataset.key),
      cells: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map((td: any) => [String(td.dataset.col), String(td.textContent).replace(/\s+/g, ' ').trim()])),
    })),
  );
}

/** A count as shown ("140,000" or "140000") as a number. */
export const count = (text: string | undefined) => Number(String(text).replace(/[^\d-]/g, ''));

const TOKENS = ['requests', 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens'] as const;

/**
 * The page's table for `report.group` holds exactly the report's rows, in its order, then the
 * total; every count equal, every cost the same dollars and cents as the shell prints them.
 */
export async function assertTableMatches(page: Page, report: any, what = `usage by ${report.group}`): Promise<void> {
  const shown = await shownRows(page, `usage-by-${report.group}`);
  const expected = [...report.rows.map((r: any) => ({ key: String(r[report.group]), r })), { key: 'total', r: report.total }];
  assert.deepEqual(shown.map((s) => s.key), expected.map((e) => e.key), `${what}: the rows`);
  for (const [i, { key, r }] of expected.entries()) {
    const cells = shown[i].cells;
    for (const col of TOKENS) assert.equal(count(cells[col]), r[col], `${what}, ${key}: ${col} shown "${cells[col]}"`);
    assert.equal(cells.cost, formatUsd(r.cost_micros), `${what}, ${key}: cost`);
  }
}

/**
 * The usage chart is a Chart.js bar chart, stacked by model, with something drawn on its canvas;
 * its value for each day, summed over models, is that day's cost in `usage --group day --json`.
 */
export async function assertChartMatches(page: Page, byDay: any): Promise<void> {
  const drawn = (await charts(page)).find((c) => c.id === 'usage-chart');
  assert.ok(drawn, 'a canvas#usage-chart');
  assert.ok(drawn.chart, 'Chart.js made a chart on it');
  assert.ok(drawn.painted > 0, 'the canvas is painted');
  assert.equal(drawn.chart.type, 'bar');
  const [year, month] = byDay.month.split('-').map(Number);
  assert.equal(drawn.chart.labels.length, new Date(Date.UTC(year, month, 0)).getUTCDate(), 'one bar a day of the month');
  // usage.js plots micro-dollars (the page's JSON block), as `usage --json` counts them.
  const perDay = drawn.chart.labels.map((_, i) => drawn.chart!.datasets.reduce((sum, d) => sum + (d.data[i] ?? 0), 0));
  const expected = drawn.chart.labels.map(() => 0);
  for (const r of byDay.rows) expected[Number(r.day.slice(8)) - 1] = r.cost_micros;
  assert.deepEqual(perDay, expected, 'cost per day (micro-dollars), summed over the models');
}
