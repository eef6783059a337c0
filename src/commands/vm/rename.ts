import { checkVmName } from '../../core/names.js';
import { updateVm, vmNameTaken } from '../../db/vms.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { vmNames } from '../completers.js';
import { requireVm } from './shared.js';
import { isUniqueViolation } from '../../db/dialect.js';

export const rename: CommandDef = {
  path: ['rename'],
  audit: { target: ([old, name]) => `vm ${old} to ${name}` },
  summary: 'rename a VM',
  args: [{ name: 'OLD', complete: vmNames }, { name: 'NEW' }],
  examples: ['rename devbox workbench'],
  async run(ctx, args) {
    const [oldName, rawNew] = args._;
    const vm = await requireVm(ctx, oldName);
    const newName = checkVmName(rawNew);
    if (newName !== vm.name && (await vmNameTaken(ctx.db, newName))) throw new GatehouseError('conflict', `VM name "${newName}" is taken`);
    await updateVm(ctx.db, ctx.user.id, vm.id, { name: newName }).catch((cause) => {
      // Another session can take the name between the check above and the update.
      if (isUniqueViolation(cause)) throw new GatehouseError('conflict', `VM name "${newName}" was just taken`, { cause });
      throw cause;
    });
    if (args.json) ctx.out.json({ old: vm.name, name: newName });
    else ctx.out.line(`Renamed VM ${vm.name} to ${newName}`);
  },
};
