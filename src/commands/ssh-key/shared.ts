import { listKeys } from '../../db/sshKeys.js';
import type { SshKey } from '../../db/schema.js';
import { shown } from '../../core/names.js';
import { GatehouseError } from '../../errors.js';
import type { CommandContext } from '../../shell/types.js';

/** Finds one of the caller's keys by name or by fingerprint. */
export async function requireKey(ctx: CommandContext, nameOrFingerprint: string): Promise<SshKey> {
  const keys = await listKeys(ctx.db, ctx.user.id);
  const key = keys.find((k) => k.name === nameOrFingerprint || k.fingerprint === nameOrFingerprint);
  if (!key) throw new GatehouseError('not_found', `SSH key "${shown(nameOrFingerprint)}" not found`, { hint: 'run "ssh-key list" to see your keys' });
  return key;
}

export function keyJson(key: SshKey, inUseId: number): object {
  return {
    name: key.name,
    type: key.public_key.split(' ')[0],
    fingerprint: key.fingerprint,
    in_use: key.id === inUseId,
    created_at: key.created_at,
    last_used_at: key.last_used_at,
  };
}
