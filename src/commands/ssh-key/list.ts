import { listKeys } from '../../db/sshKeys.js';
import type { CommandDef } from '../../shell/types.js';
import { keyJson } from './shared.js';

export const sshKeyList: CommandDef = {
  path: ['ssh-key', 'list'],
  audit: 'read',
  aliases: ['ls'],
  summary: 'list the SSH keys that can log in to your account',
  examples: ['ssh-key list', 'ssh-key list --json'],
  async run(ctx, args) {
    const keys = await listKeys(ctx.db, ctx.user.id);
    if (args.json) return void ctx.out.json(keys.map((k) => keyJson(k, ctx.keyId)));
    ctx.out.table(
      keys.map((k) => [k.name, k.public_key.split(' ')[0], k.fingerprint, k.created_at.slice(0, 10), k.id === ctx.keyId ? ctx.out.c.green('in use') : '']),
      ['NAME', 'TYPE', 'FINGERPRINT', 'ADDED', ''],
    );
  },
};
