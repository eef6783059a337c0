import { formatUsd } from '../../core/pricing.js';
import { requireMembership } from '../../core/teams.js';
import type { CommandDef } from '../../shell/types.js';
import { creditBar } from './chart.js';

export const credits: CommandDef = {
  path: ['credits'],
  audit: 'read',
  summary: "your balance for gateway-source traffic: allocation, used, granted, remaining (--team: your team's)",
  options: { team: { type: 'boolean', describe: "your team's balance, which its integrations' gateway traffic spends (any member)" } },
  examples: ['credits', 'credits --json', 'credits --team'],
  async run(ctx, args) {
    // Any member may look: the team's balance is what every member's VMs spend through its integrations.
    const team = args.team === true ? await requireMembership(ctx.db, ctx.user.id) : undefined;
    await ctx.services.usage.flush(); // so a balance right after a request includes it
    const r = await ctx.services.credits.report(team ? team.teamId : ctx.user.id, team !== undefined);
    if (args.json) {
      return void ctx.out.json({ ...r, allocation_usd: r.allocation_micros / 1e6, used_usd: r.used_micros / 1e6, granted_usd: r.granted_micros / 1e6, remaining_usd: r.remaining_micros / 1e6, ...(team ? { team: team.team } : {}) });
    }
    ctx.out.table([
      ...(team ? [['team', team.team]] : []),
      ['month', r.month],
      ['allocation', formatUsd(r.allocation_micros)],
      ['used', formatUsd(r.used_micros)],
      ['granted', formatUsd(r.granted_micros)],
      ...(r.reserved_micros ? [['in flight', formatUsd(r.reserved_micros)]] : []),
      ['remaining', ctx.out.c.bold(formatUsd(Math.max(0, r.remaining_micros)))],
      ['resets', r.resets_at.replace('T', ' ').replace(/:00\.000Z$/, ' UTC')],
    ]);
    ctx.out.line(creditBar(r.used_micros, r.allocation_micros + r.granted_micros));
    ctx.out.line(ctx.out.c.dim('Only the managed "gateway" source is charged; byok traffic is metered but free.'));
  },
};
