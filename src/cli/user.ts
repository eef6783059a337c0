// `gatehouse user add` and `gatehouse user list`: accounts, straight in the database.
import fs from 'node:fs';
import { createAccount } from '../core/accounts.js';
import { parsePublicKey } from '../core/publicKey.js';
import { listUsers } from '../db/users.js';
import { asPublicError, GatehouseError } from '../errors.js';
import { DATABASE_OPTIONS } from './settings.js';
import { recordCli, withDatabase } from './database.js';
import type { CliCommandDef } from './types.js';

export const userAdd: CliCommandDef = {
  path: ['user', 'add'],
  summary: 'add an account with its first SSH key (the first account is admin)',
  args: [{ name: 'NAME' }],
  options: {
    'key-file': { type: 'string', value: 'F', describe: 'the public key file, e.g. alice.pub' },
    key: { type: 'string', value: '"ssh-ed25519 …"', describe: 'the public key itself (give this or --key-file)' },
    email: { type: 'string', value: 'E', describe: 'email address' },
    admin: { type: 'boolean', describe: 'make the account an admin' },
    ...DATABASE_OPTIONS,
  },
  examples: ['gatehouse user add alice --key-file alice.pub --email alice@example.com', 'gatehouse user add bob --key "ssh-ed25519 AAAA… bob@laptop" --admin'],
  async run(ctx, args) {
    if (Boolean(args['key-file']) === Boolean(args.key)) throw new GatehouseError('usage', 'give exactly one of --key-file F or --key "ssh-ed25519 …"');
    let keyText = args.key as string | undefined;
    const file = args['key-file'] as string | undefined;
    if (file) {
      try {
        keyText = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new GatehouseError('invalid_input', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
      }
    }
    const key = parsePublicKey(keyText!);
    await withDatabase(ctx, args, async (db) => {
      const action = 'user add';
      const detail = `fingerprint ${key.fingerprint}${args.admin ? '; admin' : ''}`;
      try {
        const user = await createAccount(db, { name: args._[0], email: args.email as string | undefined, admin: Boolean(args.admin), key });
        await recordCli(ctx, db, { subjectUserId: user.id, action, target: `user ${user.name}`, detail, outcome: 'ok' });
        if (args.json) ctx.out.json({ name: user.name, admin: Boolean(user.is_admin) });
        else ctx.out.line(`Added user ${user.name}${user.is_admin ? ' (admin)' : ''}`);
      } catch (err) {
        await recordCli(ctx, db, { subjectUserId: null, action, target: `user ${args._[0]}`, detail, outcome: asPublicError(err).code });
        throw err;
      }
    });
  },
};

export const userList: CliCommandDef = {
  path: ['user', 'list'],
  summary: 'list every account',
  options: DATABASE_OPTIONS,
  examples: ['gatehouse user list', 'gatehouse user list --json --database-url postgres://…'],
  async run(ctx, args) {
    const users = await withDatabase(ctx, args, listUsers);
    if (args.json) {
      ctx.out.json(users.map((u) => ({ name: u.name, email: u.email ?? '', admin: Boolean(u.is_admin), keys: Number(u.key_count), vms: Number(u.vm_count), created_at: u.created_at })));
      return;
    }
    ctx.out.table(
      users.map((u) => [u.name, u.email ?? '-', u.is_admin ? 'yes' : 'no', String(u.key_count), String(u.vm_count), u.created_at.slice(0, 10)]),
      ['NAME', 'EMAIL', 'ADMIN', 'KEYS', 'VMS', 'CREATED'],
    );
  },
};
