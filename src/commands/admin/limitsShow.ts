// `admin limits show [USER]`: the installation defaults and every override, or one user's
// effective limits with what they use right now (read from the gateway's in-memory limiter).
import { listApiKeys } from '../../db/apiKeys.js';
import { allUserLimits, findUserLimits } from '../../db/limits.js';
import type { User } from '../../db/schema.js';
import { findUserByName } from '../../db/users.js';
import { GatehouseError } from '../../errors.js';
import { shown } from '../../shell/output.js';
import type { CommandContext } from '../../shell/types.js';
import type { UserLimits } from '../../core/rateLimits.js';

const flat = (l: UserLimits) => ({ rpm: l.user.rpm, concurrent: l.user.concurrent, key_rpm: l.key.rpm, key_concurrent: l.key.concurrent });
const dash = (n: number | null) => (n === null ? '-' : String(n));

export async function limitsShow(ctx: CommandContext, name: string | undefined, json: boolean): Promise<void> {
  if (name !== undefined) {
    const user = await findUserByName(ctx.db, name);
    if (!user) throw new GatehouseError('not_found', `user "${shown(name)}" not found`, { hint: 'see "admin users"' });
    return showUser(ctx, user, json);
  }
  const defaults = flat(ctx.services.limits.defaults);
  const rows = await allUserLimits(ctx.db);
  const overrides = rows.map((r) => ({ user: r.name, rpm: r.rpm, concurrent: r.concurrent, key_rpm: r.key_rpm, key_concurrent: r.key_concurrent, updated_by: r.updated_by, updated_at: r.updated_at }));
  if (json) return void ctx.out.json({ defaults, overrides });
  ctx.out.line(`Defaults: ${defaults.rpm} requests/min and ${defaults.concurrent} in flight per user; ${defaults.key_rpm} requests/min and ${defaults.key_concurrent} in flight per API key.`);
  if (overrides.length === 0) return void ctx.out.line('No per-user overrides. Set one with: admin limits set USER --rpm N');
  ctx.out.table(
    overrides.map((o) => [o.user, dash(o.rpm), dash(o.concurrent), dash(o.key_rpm), dash(o.key_concurrent), o.updated_by, o.updated_at.slice(0, 16).replace('T', ' ')]),
    ['USER', 'RPM', 'CONCURRENT', 'KEY RPM', 'KEY CONCURRENT', 'SET BY', 'UPDATED'],
  );
}

/** One user's effective limits, where each comes from, and their current use. */
export async function showUser(ctx: CommandContext, user: User, json: boolean, heading?: string): Promise<void> {
  const { limits } = ctx.services;
  const effective = await limits.effective(user.id);
  const now = Date.now();
  const own = limits.limiter.usage('user', user.id, effective.user, now);
  const keys = (await listApiKeys(ctx.db, user.id)).map((k) => {
    const u = limits.limiter.usage('key', k.id, effective.key, now);
    return { name: k.name, in_flight: u.inflight, remaining_requests: u.budget.remaining };
  });
  const values = flat(effective);
  const base = flat(limits.defaults);
  const row = await findUserLimits(ctx.db, user.id);
  const set = { rpm: row?.rpm, concurrent: row?.concurrent, key_rpm: row?.key_rpm, key_concurrent: row?.key_concurrent };
  const source = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v == null ? 'default' : 'override'])) as Record<keyof typeof values, string>;
  if (json) {
    return void ctx.out.json({ user: user.name, limits: values, source, defaults: base, usage: { in_flight: own.inflight, remaining_requests: own.budget.remaining, keys } });
  }
  if (heading) ctx.out.line(heading);
  const line = (label: string, k: keyof typeof values) => [label, String(values[k]), source[k] === 'default' ? 'default' : `override (default ${base[k]})`];
  ctx.out.table([line('requests per minute', 'rpm'), line('in flight at once', 'concurrent'), line('per API key: requests per minute', 'key_rpm'), line('per API key: in flight at once', 'key_concurrent')], ['LIMIT', user.name, 'FROM']);
  ctx.out.line(`Now: ${own.inflight} in flight, ${own.budget.remaining} of ${values.rpm} requests available now${keys.length ? `; keys: ${keys.map((k) => `${k.name} ${k.in_flight} in flight`).join(', ')}` : ''}.`);
}
