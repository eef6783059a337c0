// `browser` (exe.dev's word): a one-time link that signs this account in to the web pages. The
// token is printed here and nowhere else: the log and the audit row name the command only ("web
// link"), and the line typed carries no secret, so history keeps it as it is.
import { renderUnicodeCompact } from 'uqr';
import { LINK_TTL_MS } from '../../core/webSignIn.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';

export const browser: CommandDef = {
  path: ['browser'],
  audit: {},
  summary: 'print a one-time link that signs you in to your web page (usage charts)',
  options: {
    qr: { type: 'boolean', describe: 'also show the link as a QR code, to open it on a phone' },
  },
  examples: ['browser', 'browser --qr', 'browser --json'],
  async run(ctx, args) {
    const base = ctx.services.web.publicUrl();
    if (base === undefined) throw new GatehouseError('not_configured', 'the web pages are turned off on this installation', { hint: 'an operator turns them on with GATEHOUSE_WEB_LISTEN' });
    ctx.audit.target('web link');
    const { token, expiresAt } = await ctx.services.web.createLink(ctx.user.id);
    const link = `${base}/auth/verify?token=${token}`;
    if (args.json) return void ctx.out.json({ magic_link: link, expires_at: expiresAt });
    ctx.out.line(link);
    if (args.qr) {
      ctx.out.line();
      ctx.out.line(renderUnicodeCompact(link, { border: 2 }));
      ctx.out.line();
    }
    ctx.out.line(`Expires in ${LINK_TTL_MS / 60_000} minutes.`);
  },
};
