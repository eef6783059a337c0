import { deleteKeyUnlessLast } from '../../db/sshKeys.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { sshKeyNames } from '../completers.js';
import { requireKey } from './shared.js';

export const sshKeyRemove: CommandDef = {
  path: ['ssh-key', 'remove'],
  audit: { target: ([key]) => `ssh key ${key}` },
  aliases: ['rm'],
  summary: 'remove an SSH key (by name or fingerprint); your last key cannot be removed',
  args: [{ name: 'KEY', complete: sshKeyNames }],
  examples: ['ssh-key remove old-laptop', 'ssh-key remove SHA256:abc…'],
  async run(ctx, args) {
    const key = await requireKey(ctx, args._[0]);
    if (!(await deleteKeyUnlessLast(ctx.db, ctx.user.id, key.id))) {
      throw new GatehouseError('conflict', 'cannot remove your last SSH key: you would be locked out', { hint: 'add another key first with "ssh-key add"' });
    }
    if (args.json) ctx.out.json({ removed: key.name, fingerprint: key.fingerprint });
    else ctx.out.line(`Removed SSH key ${key.name}`);
  },
};
