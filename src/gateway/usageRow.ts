// A usage row's text as the usage table can hold it, alike on both databases. The strings come
// from clients (model ids up to MAX_MODEL_ID, session ids) or from names whose limits may change;
// PostgreSQL refuses a value longer than its varchar(n) or one with a NUL character (SQLite would
// store either), and a refused row is a row lost. So text is clipped to its column (migration
// 0003) and NULs removed, here, before the row is queued.
import type { NewUsageRow } from '../db/schema.js';

/** varchar(n) of each text column of `usage` (src/db/migrations/0003_usage.ts). */
const LENGTHS = {
  created_at: 32,
  month: 7,
  request_id: 64,
  vm_name: 52,
  api_key_name: 64,
  integration_name: 63,
  provider: 32,
  model: 128,
  source: 16,
  api: 32,
  session_id: 128,
} as const;

const COLUMNS = Object.entries(LENGTHS) as [keyof typeof LENGTHS, number][];

/** Fits every text field of a freshly built row to its column, in place (one per request: no copy). */
export function fitted(row: NewUsageRow): NewUsageRow {
  for (const [column, max] of COLUMNS) {
    const v = row[column];
    if (typeof v === 'string') (row as Record<string, unknown>)[column] = clip(v, max);
  }
  return row;
}

/**
 * At most `max` characters and no NUL. varchar(n) counts code points, a JavaScript string UTF-16
 * units, so `max` units are never too many; a surrogate pair cut in half is dropped whole (a lone
 * surrogate is not valid UTF-8).
 */
export function clip(s: string, max: number): string {
  if (s.includes('\u0000')) s = s.replaceAll('\u0000', '');
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
