// Reading the audit log: the flags `audit`, `admin audit` and the operator's `gatehouse audit`
// share, parsed strictly, and one rendering (aligned text or one JSON array). Rows are newest first
// and capped: a million-row history must not be built into one answer (STYLE 11).
import type { AuditFilter } from '../db/audit.js';
import type { AuditRow } from '../db/schema.js';
import { GatehouseError } from '../errors.js';
import { shown, type Output } from '../shell/output.js';
import type { OptionSpec, ParsedArgs } from '../shell/types.js';

export const DEFAULT_LIMIT = 200;
export const MAX_LIMIT = 5000;
const MAX_DAYS = 36_500;

export const SINCE_OPTION: OptionSpec = { type: 'string', value: 'WHEN', describe: 'only events since then: 7d, 12h, or a date like 2026-01-31 (UTC)' };
export const LIMIT_OPTION: OptionSpec = { type: 'string', value: 'N', describe: `at most N events, newest first (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})` };
export const ADMIN_AUDIT_OPTIONS: Record<string, OptionSpec> = {
  user: { type: 'string', value: 'USER', describe: "only this user's events (as actor or as the account acted on)" },
  action: { type: 'string', value: 'ACTION', describe: 'only this action, or actions starting with these words, e.g. "integrations"' },
  since: SINCE_OPTION,
  limit: LIMIT_OPTION,
};

/** `7d`, `12h`, or an ISO date/time in UTC; anything else is refused, not guessed at. */
export function parseSince(text: string, now = new Date()): string {
  const rel = /^(\d{1,6})([dh])$/.exec(text);
  if (rel) {
    const n = Number(rel[1]);
    if (n > MAX_DAYS * (rel[2] === 'h' ? 24 : 1)) throw new GatehouseError('invalid_input', `--since ${shown(text)} is too far back`);
    return new Date(now.getTime() - n * (rel[2] === 'd' ? 86_400_000 : 3_600_000)).toISOString();
  }
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/.exec(text);
  if (iso) {
    const t = new Date(iso[1] ? (text.endsWith('Z') ? text : `${text}Z`) : `${text}T00:00:00Z`);
    // Date() rolls 2026-02-31 over to March: a date that does not round-trip does not exist.
    if (!Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === text.slice(0, 10)) return t.toISOString();
  }
  throw new GatehouseError('invalid_input', `invalid --since "${shown(text)}": use 7d, 12h, or a date like 2026-01-31`);
}

export function parseLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const text = String(value);
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > MAX_LIMIT) {
    throw new GatehouseError('invalid_input', `invalid --limit "${shown(text)}": give a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Number(text);
}

export function parseAction(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  // Plain command words only: no LIKE wildcards reach the query (db/audit.ts).
  if (!/^[a-z][a-z-]{0,31}( [a-z][a-z-]{0,31}){0,3}$/.test(text)) throw new GatehouseError('invalid_input', `invalid --action "${shown(text)}": give command words, e.g. "integrations edit"`);
  return text;
}

/** The filter the common flags give; the caller adds whose rows. */
export function filterFrom(args: ParsedArgs): AuditFilter {
  return {
    since: args.since === undefined ? undefined : parseSince(String(args.since)),
    limit: parseLimit(args.limit),
    action: parseAction(args.action),
  };
}

export function auditJson(r: AuditRow): object {
  return {
    at: r.at,
    actor: r.actor_name,
    via: r.via,
    key: r.key_fingerprint ?? (r.api_key_name ? `api key ${r.api_key_name}` : null),
    address: r.address,
    instance: r.instance,
    action: r.action,
    target: r.target,
    detail: r.detail,
    outcome: r.outcome,
  };
}

export function printAudit(out: Output, rows: AuditRow[], json: boolean): void {
  if (json) return out.json(rows.map(auditJson));
  if (rows.length === 0) return out.line('No audit events.');
  // Targets and details may hold words a user typed: escaped, as every echo is.
  const cell = (text: string | null) => (text ? shown(text, 500) : '-');
  out.table(
    rows.map((r) => [r.at.slice(0, 19).replace('T', ' '), cell(r.actor_name), cell(r.key_fingerprint ?? (r.api_key_name && `api key ${r.api_key_name}`)), cell(r.address), r.action, cell(r.target), r.outcome, cell(r.detail)]),
    ['AT (UTC)', 'ACTOR', 'KEY', 'ADDRESS', 'ACTION', 'TARGET', 'OUTCOME', 'DETAIL'],
  );
}
