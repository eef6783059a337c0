import { checkKeyName } from '../../core/names.js';
import { listKeys, renameKey } from '../../db/sshKeys.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { isUniqueViolation } from '../../db/dialect.js';
import { sshKeyNames } from '../completers.js';
import { requireKey } from './shared.js';

export const sshKeyRename: CommandDef = {
  path: ['ssh-key', 'rename'],
  audit: { target: ([old, name]) => `ssh key ${old} to ${name}` },
  summary: 'rename an SSH key',
  args: [{ name: 'OLD', complete: sshKeyNames }, { name: 'NEW' }],
  examples: ['ssh-key rename ed25519-key laptop'],
  async run(ctx, args) {
    const key = await requireKey(ctx, args._[0]);
    const name = checkKeyName(args._[1]);
    if ((await listKeys(ctx.db, ctx.user.id)).some((k) => k.name === name && k.id !== key.id)) {
      throw new GatehouseError('conflict', `you already have a key named "${name}"`);
    }
    await renameKey(ctx.db, ctx.user.id, key.id, name).catch((cause) => {
      // Another session took the name between the check above and the update.
      throw isUniqueViolation(cause) ? new GatehouseError('conflict', `you already have a key named "${name}"`, { cause }) : cause;
    });
    if (args.json) ctx.out.json({ old: key.name, name });
    else ctx.out.line(`Renamed SSH key ${key.name} to ${name}`);
  },
};
