import { monthOf } from '../../core/month.js';
import { formatUsd } from '../../core/pricing.js';
import { checkComment } from '../../core/names.js';
import { insertGrant } from '../../db/usage.js';
import { findUserByName, listUsers } from '../../db/users.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';

export const adminCreditsGrant: CommandDef = {
  path: ['admin', 'credits'],
  audit: { target: ([, user]) => (user === undefined ? undefined : `user ${user}`) },
  summary: 'grant a user extra credits for this month: admin credits grant USER DOLLARS',
  adminOnly: true,
  args: [{ name: 'grant' }, { name: 'USER', complete: async (ctx) => (await listUsers(ctx.db)).map((u) => u.name) }, { name: 'DOLLARS' }],
  options: { note: { type: 'string', value: 'TEXT', describe: 'why (kept with the grant)' } },
  examples: ['admin credits grant alice 10 --note "hackathon"'],
  async run(ctx, args) {
    const [verb, name, amount] = args._;
    if (verb !== 'grant') throw new GatehouseError('usage', `"admin credits" subcommand "${verb}" not found, valid subcommands are: grant`);
    const user = await findUserByName(ctx.db, name);
    if (!user) throw new GatehouseError('not_found', `user "${name}" not found`);
    const dollars = Number(amount);
    if (!/^\d+(\.\d{1,6})?$/.test(amount) || !(dollars > 0) || dollars > 1_000_000) {
      throw new GatehouseError('invalid_input', `invalid amount "${amount}": give a positive number of USD, e.g. 10 or 2.50`);
    }
    const micros = Math.round(dollars * 1_000_000);
    ctx.audit.subject(user.id);
    ctx.audit.note(`granted ${formatUsd(micros)} for ${monthOf(new Date())}`);
    const note = args.note === undefined ? null : checkComment(String(args.note));
    // The grant row publishes change topic 'credits' (db/changePublisher.ts): every instance's ledger looks again.
    await insertGrant(ctx.db, { userId: user.id, month: monthOf(new Date()), micros, note, grantedBy: ctx.user.name });
    if (args.json) ctx.out.json({ user: user.name, granted_usd: dollars, month: monthOf(new Date()), note: note ?? '' });
    else ctx.out.line(`Granted ${formatUsd(micros)} to ${user.name} for ${monthOf(new Date())}`);
  },
};
