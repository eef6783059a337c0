import { formatUsd } from '../../core/pricing.js';
import type { CommandDef } from '../../shell/types.js';

export const credits: CommandDef = {
  path: ['credits'],
  audit: 'read',
  summary: 'your balance for gateway-source traffic: allocation, used, granted, remaining',
  examples: ['credits', 'credits --json'],
  async run(ctx, args) {
    await ctx.services.usage.flush(); // so a balance right after a request includes it
    const r = await ctx.services.credits.report(ctx.user.id);
    if (args.json) {
      return void ctx.out.json({ ...r, allocation_usd: r.allocation_micros / 1e6, used_usd: r.used_micros / 1e6, granted_usd: r.granted_micros / 1e6, remaining_usd: r.remaining_micros / 1e6 });
    }
    ctx.out.table([
      ['month', r.month],
      ['allocation', formatUsd(r.allocation_micros)],
      ['used', formatUsd(r.used_micros)],
      ['granted', formatUsd(r.granted_micros)],
      ...(r.reserved_micros ? [['in flight', formatUsd(r.reserved_micros)]] : []),
      ['remaining', ctx.out.c.bold(formatUsd(Math.max(0, r.remaining_micros)))],
      ['resets', r.resets_at.replace('T', ' ').replace(/:00\.000Z$/, ' UTC')],
    ]);
    ctx.out.line(ctx.out.c.dim('Only the managed "gateway" source is charged; byok traffic is metered but free.'));
  },
};
