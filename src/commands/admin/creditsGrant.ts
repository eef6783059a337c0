import { monthOf } from '../../core/month.js';
import { formatUsd } from '../../core/pricing.js';
import { checkComment, shown } from '../../core/names.js';
import { findTeam } from '../../db/teams.js';
import { insertGrant } from '../../db/usage.js';
import { findUserByName, listUsers } from '../../db/users.js';
import { GatehouseError } from '../../errors.js';
import type { CommandContext, CommandDef } from '../../shell/types.js';

export const adminCreditsGrant: CommandDef = {
  path: ['admin', 'credits'],
  audit: { target: ([, user]) => (user === undefined ? undefined : `user ${user}`) },
  summary: 'grant a user (or, with --team, a team) extra credits for this month: admin credits grant USER DOLLARS',
  adminOnly: true,
  args: [{ name: 'grant' }, { name: 'USER', complete: async (ctx) => (await listUsers(ctx.db)).map((u) => u.name) }, { name: 'DOLLARS' }],
  options: {
    note: { type: 'string', value: 'TEXT', describe: 'why (kept with the grant)' },
    team: { type: 'boolean', describe: "USER is a team's name: the grant adds to the team's credits" },
  },
  examples: ['admin credits grant alice 10 --note "hackathon"', 'admin credits grant --team acme 50'],
  async run(ctx, args) {
    const [verb, name, amount] = args._;
    if (verb !== 'grant') throw new GatehouseError('usage', `"admin credits" subcommand "${verb}" not found, valid subcommands are: grant`);
    if (args.team === true) ctx.audit.target(`team ${name}`); // the words alone would read "user NAME"
    const payer = await payerNamed(ctx, name, args.team === true);
    const dollars = Number(amount);
    if (!/^\d+(\.\d{1,6})?$/.test(amount) || !(dollars > 0) || dollars > 1_000_000) {
      throw new GatehouseError('invalid_input', `invalid amount "${shown(amount)}": give a positive number of USD, e.g. 10 or 2.50`);
    }
    const micros = Math.round(dollars * 1_000_000);
    const month = monthOf(new Date());
    ctx.audit.subject(payer.id);
    ctx.audit.note(`granted ${formatUsd(micros)} for ${month}`);
    const note = args.note === undefined ? null : checkComment(String(args.note));
    // A team's grant is a row for its hidden account (user_id = team id), the payer its integrations charge.
    // The grant row publishes change topic 'credits' (db/changePublisher.ts): every instance's ledger looks again.
    await insertGrant(ctx.db, { userId: payer.id, month, micros, note, grantedBy: ctx.user.name });
    const who = payer.team ? { team: payer.name } : { user: payer.name };
    if (args.json) ctx.out.json({ ...who, granted_usd: dollars, month, note: note ?? '' });
    else ctx.out.line(`Granted ${formatUsd(micros)} to ${payer.team ? `team ${payer.name}` : payer.name} for ${month}`);
  },
};

/** The account a grant credits: a person by user name, or a team (its hidden account) by team name. */
async function payerNamed(ctx: CommandContext, name: string, team: boolean): Promise<{ id: number; name: string; team: boolean }> {
  if (team) {
    const t = await findTeam(ctx.db, name);
    if (!t) throw new GatehouseError('not_found', `team "${shown(name)}" not found`, { hint: 'give the team’s name, as in "team members"' });
    return { id: t.id, name: t.name, team: true };
  }
  const user = await findUserByName(ctx.db, name);
  if (!user) throw new GatehouseError('not_found', `user "${shown(name)}" not found`, { hint: 'for a team, add --team' });
  return { id: user.id, name: user.name, team: false };
}
