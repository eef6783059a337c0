// Bars in the terminal (issue 17): one line a day for `usage --chart`, one line for `credits`.
// Plain Unicode block characters, no color (the caller may color them); widths fit the terminal a
// PTY reported, 80 columns otherwise. Linear in the days of a month, whatever the costs.
import { formatUsd } from '../../core/pricing.js';

/** Eighths of a cell, for a bar's fractional end. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const FULL = '█';

export const DEFAULT_COLUMNS = 80;

/** The width to draw in: the PTY's, within sane bounds, else 80. */
export function chartWidth(columns: number | undefined): number {
  if (!columns || !Number.isFinite(columns) || columns <= 0) return DEFAULT_COLUMNS;
  return Math.max(40, Math.min(Math.floor(columns), 240));
}

/** A bar of `value / max` of `cells` cells, in eighths, padded with spaces to `cells`. */
export function bar(value: number, max: number, cells: number): string {
  const eighths = max > 0 ? Math.round((Math.max(0, Math.min(value, max)) / max) * cells * 8) : 0;
  const text = FULL.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
  return text + ' '.repeat(cells - [...text].length);
}

/** `MM-DD  ████▌    $0.0012` for each day; the longest bar spans what the width leaves. */
export function dailyBars(days: { day: string; cost_micros: number }[], columns: number): string[] {
  const values = days.map((d) => (d.cost_micros === 0 ? '-' : formatUsd(d.cost_micros)));
  const valueWidth = Math.max(...values.map((v) => v.length));
  const cells = Math.max(10, columns - 5 - 2 - 2 - valueWidth - 1); // label, two gaps, value, a spare column
  const max = Math.max(...days.map((d) => d.cost_micros));
  return days.map((d, i) => `${d.day.slice(5)}  ${bar(d.cost_micros, max, cells)}  ${values[i].padStart(valueWidth)}`);
}

/** `████████░░░░░░░░  42% of $10.00`: used against what the month offers (allocation + granted). */
export function creditBar(usedMicros: number, availableMicros: number, cells = 30): string {
  const share = availableMicros > 0 ? usedMicros / availableMicros : usedMicros > 0 ? 1 : 0;
  const filled = Math.round(Math.min(1, share) * cells);
  return `${FULL.repeat(filled)}${'░'.repeat(cells - filled)}  ${Math.round(share * 100)}% of ${formatUsd(availableMicros)}`;
}
