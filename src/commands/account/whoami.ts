import { listKeys } from '../../db/sshKeys.js';
import type { CommandDef } from '../../shell/types.js';
import { keyJson } from '../ssh-key/shared.js';

export const whoami: CommandDef = {
  path: ['whoami'],
  audit: 'read',
  summary: 'show your account and its SSH keys',
  examples: ['whoami', 'whoami --json'],
  async run(ctx, args) {
    const keys = await listKeys(ctx.db, ctx.user.id);
    const u = ctx.user;
    if (args.json) {
      return void ctx.out.json({ name: u.name, email: u.email ?? '', admin: Boolean(u.is_admin), created_at: u.created_at, keys: keys.map((k) => keyJson(k, ctx.keyId)) });
    }
    ctx.out.table([
      ['name', ctx.out.c.bold(u.name) + (u.is_admin ? ctx.out.c.yellow(' (admin)') : '')],
      ['email', u.email ?? '-'],
    ]);
    ctx.out.line('keys:');
    ctx.out.table(keys.map((k) => ['  ' + k.name, k.fingerprint, k.id === ctx.keyId ? ctx.out.c.green('(in use)') : '']));
  },
};
