import { deleteVm } from '../../db/vms.js';
import type { CommandDef } from '../../shell/types.js';
import { vmNames } from '../completers.js';
import { requireVm } from './shared.js';

export const rm: CommandDef = {
  path: ['rm'],
  audit: { target: (vms) => `vm ${vms.join(' ')}` },
  summary: 'unregister VMs',
  args: [{ name: 'VM', variadic: true, complete: vmNames }],
  examples: ['rm devbox', 'rm old-one old-two'],
  async run(ctx, args) {
    // Check every name first so a typo removes nothing.
    const vms = [];
    for (const name of new Set(args._)) vms.push(await requireVm(ctx, name));
    for (const vm of vms) await deleteVm(ctx.db, ctx.user.id, vm.id);
    if (args.json) ctx.out.json({ removed: vms.map((v) => v.name) });
    else for (const vm of vms) ctx.out.line(`Removed VM ${vm.name}`);
  },
};
