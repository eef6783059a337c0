// What the VM commands share: lookup scoped to the caller, and one JSON/text shape for a VM.
import { findVm, type VmWithTags } from '../../db/vms.js';
import { shown } from '../../core/names.js';
import { GatehouseError } from '../../errors.js';
import type { CommandContext } from '../../shell/types.js';

/** Another user's VM is simply "not found": existence is never revealed across accounts. */
export async function requireVm(ctx: CommandContext, name: string): Promise<VmWithTags> {
  const vm = await findVm(ctx.db, ctx.user.id, name);
  if (!vm) throw new GatehouseError('not_found', `VM "${shown(name)}" not found`, { hint: 'run "ls" to see your VMs' });
  return vm;
}

export function vmJson(vm: VmWithTags): object {
  return { name: vm.name, address: vm.address, tags: vm.tags, comment: vm.comment ?? '', created_at: vm.created_at };
}
