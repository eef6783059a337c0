// `admin limits set USER`: an admin's per-user override of the gateway rate limits. Applies to the
// user's next request (the store publishes the change); running requests keep their slots.
import type { LimitChange } from '../../db/limits.js';
import { findUserByName } from '../../db/users.js';
import { GatehouseError } from '../../errors.js';
import { shown } from '../../shell/output.js';
import type { CommandContext, ParsedArgs } from '../../shell/types.js';
import { showUser } from './limitsShow.js';

export const SET_FLAGS = ['rpm', 'concurrent', 'key-rpm', 'key-concurrent', 'reset'] as const;

// Far above any honest use, low enough that the arithmetic stays exact.
const MAX = { rpm: 1_000_000, concurrent: 100_000 };

export async function limitsSet(ctx: CommandContext, name: string, args: ParsedArgs): Promise<void> {
  // Every flag is checked before the user is looked up: a malformed line fails the same for anyone.
  const change: LimitChange = {
    rpm: limitValue(args, 'rpm', MAX.rpm),
    concurrent: limitValue(args, 'concurrent', MAX.concurrent),
    keyRpm: limitValue(args, 'key-rpm', MAX.rpm),
    keyConcurrent: limitValue(args, 'key-concurrent', MAX.concurrent),
  };
  const reset = args.reset === true;
  if (!reset && Object.values(change).every((v) => v === undefined)) {
    throw new GatehouseError('usage', 'nothing to set: give --rpm, --concurrent, --key-rpm, --key-concurrent or --reset', { hint: 'e.g. admin limits set alice --rpm 1200' });
  }
  const user = await findUserByName(ctx.db, name);
  if (!user) throw new GatehouseError('not_found', `user "${shown(name)}" not found`, { hint: 'see "admin users"' });
  ctx.audit.subject(user.id);
  ctx.audit.note(`${reset ? 'reset; ' : ''}${Object.entries(change).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${v ?? 'default'}`).join(', ') || 'defaults'}`);
  await ctx.services.limits.set(user.id, change, reset, ctx.user.name);
  await showUser(ctx, user, args.json, `Limits for ${user.name} changed; they apply from the next request.`);
}

/** undefined: not given; null: back to the default ("default"); else a whole number in range. */
function limitValue(args: ParsedArgs, flag: string, max: number): number | null | undefined {
  const raw = args[flag];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (text === 'default') return null;
  // Digits only: no sign, exponent, hex or fraction, and short enough to parse exactly.
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw new GatehouseError('invalid_input', `invalid --${flag} "${shown(text, 20)}": give a whole number from 1 to ${max.toLocaleString('en-US')}, or "default"`);
  }
  return n;
}
