import { listUsers } from '../../db/users.js';
import type { CommandDef } from '../../shell/types.js';

export const adminUsers: CommandDef = {
  path: ['admin', 'users'],
  audit: 'admin-read',
  summary: 'list every account',
  adminOnly: true,
  examples: ['admin users', 'admin users --json'],
  async run(ctx, args) {
    const users = await listUsers(ctx.db);
    const rows = users.map((u) => ({ name: u.name, email: u.email ?? '', admin: Boolean(u.is_admin), keys: Number(u.key_count), vms: Number(u.vm_count), created_at: u.created_at }));
    if (args.json) return void ctx.out.json(rows);
    ctx.out.table(
      rows.map((u) => [u.name, u.email || '-', u.admin ? 'yes' : 'no', String(u.keys), String(u.vms), u.created_at.slice(0, 10)]),
      ['NAME', 'EMAIL', 'ADMIN', 'KEYS', 'VMS', 'CREATED'],
    );
  },
};
