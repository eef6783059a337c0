import { defaultKeyName } from '../../core/accounts.js';
import { checkKeyName } from '../../core/names.js';
import { parsePublicKey } from '../../core/publicKey.js';
import { findKeyByFingerprint, insertKey, listKeys } from '../../db/sshKeys.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { isUniqueViolation } from '../../db/dialect.js';
import { keyJson } from './shared.js';

/**
 * A name the user did not choose must not make the add fail: sign-up keys are all "ed25519-key"
 * (the server never sees a client's comment), so number it instead: ed25519-key-2, -3, …
 */
function freeName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base.slice(0, 58)}-${n}`)) n++;
  return `${base.slice(0, 58)}-${n}`; // stays within the 64-character limit
}

export const sshKeyAdd: CommandDef = {
  path: ['ssh-key', 'add'],
  audit: {},
  summary: 'add an SSH public key to your account (from the argument, or stdin when omitted or -)',
  args: [{ name: 'KEY', variadic: true, optional: true }],
  options: { name: { type: 'string', value: 'NAME', describe: 'a name for the key (default: its comment)' } },
  examples: ['ssh-key add "ssh-ed25519 AAAAC3Nz… laptop"', 'ssh-key add --name laptop < ~/.ssh/id_ed25519.pub'],
  async run(ctx, args) {
    // `-` means stdin, as for secrets elsewhere (DESIGN.md §2).
    const fromArgs = args._.length > 0 && !(args._.length === 1 && args._[0] === '-');
    const text = fromArgs ? args._.join(' ') : await ctx.input.read('Public key: ', { secret: false });
    if (!text.trim()) throw new GatehouseError('usage', 'no key given', { hint: 'pass the public key as an argument or on stdin' });
    const key = parsePublicKey(text);
    if (await findKeyByFingerprint(ctx.db, key.fingerprint)) throw new GatehouseError('conflict', `key ${key.fingerprint} is already registered`);
    const taken = new Set((await listKeys(ctx.db, ctx.user.id)).map((k) => k.name));
    const name = args.name === undefined ? freeName(defaultKeyName(key), taken) : checkKeyName(String(args.name));
    if (taken.has(name)) throw new GatehouseError('conflict', `you already have a key named "${name}"`, { hint: 'choose another with --name' });
    ctx.audit.target(`ssh key ${name}`);
    ctx.audit.note(`fingerprint ${key.fingerprint}`);
    const row = await insertKey(ctx.db, ctx.user.id, { name, publicKey: key.text, fingerprint: key.fingerprint }).catch(async (cause) => {
      if (!isUniqueViolation(cause)) throw cause;
      // Another session registered this key, or took this name, since the checks above.
      if (await findKeyByFingerprint(ctx.db, key.fingerprint)) throw new GatehouseError('conflict', `key ${key.fingerprint} is already registered`, { cause });
      throw new GatehouseError('conflict', `you already have a key named "${name}"`, { hint: 'choose another with --name', cause });
    });
    if (args.json) ctx.out.json(keyJson(row, ctx.keyId));
    else ctx.out.line(`Added SSH key ${name} (${key.fingerprint})`);
  },
};
