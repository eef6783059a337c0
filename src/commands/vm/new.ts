import { checkAddress, nextFreeAddress, parsePool } from '../../core/address.js';
import { checkComment, checkTag, checkVmName, generateVmName } from '../../core/names.js';
import { allVmAddresses, insertVm, vmAddressTaken, vmNameTaken } from '../../db/vms.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { vmJson } from './shared.js';

export const newVm: CommandDef = {
  path: ['new'],
  summary: 'register a VM (the host’s provisioning boots it; gatehouse knows it by address)',
  options: {
    name: { type: 'string', value: 'NAME', describe: '5–52 chars: a-z, 0-9, single hyphens; generated when omitted' },
    address: { type: 'string', value: 'ADDR', describe: 'IPv4 or IPv6 address; the next free pool address when omitted' },
    tag: { type: 'array', value: 'TAG', describe: 'tag the VM (repeatable)' },
    comment: { type: 'string', value: 'TEXT', describe: 'free-form note' },
  },
  examples: ['new --name devbox --address 10.42.0.7 --tag llm', 'new --tag ci'],
  async run(ctx, args) {
    const tags = [...new Set(((args.tag as string[]) ?? []).map(checkTag))];
    const comment = args.comment === undefined ? null : checkComment(String(args.comment));
    let name = args.name === undefined ? undefined : checkVmName(String(args.name));
    if (name && (await vmNameTaken(ctx.db, name))) {
      throw new GatehouseError('conflict', `VM name "${name}" is taken`, { hint: 'VM names are unique across the installation; pick another' });
    }
    for (let attempt = 0; !name && attempt < 50; attempt++) {
      const candidate = generateVmName();
      if (!(await vmNameTaken(ctx.db, candidate))) name = candidate;
    }
    if (!name) throw new GatehouseError('conflict', 'could not generate a free VM name', { hint: 'give one with --name' });
    let address: string;
    if (args.address !== undefined) {
      address = checkAddress(String(args.address));
      if (await vmAddressTaken(ctx.db, address)) throw new GatehouseError('conflict', `address ${address} is already registered to a VM`);
    } else {
      address = nextFreeAddress(parsePool(ctx.config.vmPool), await allVmAddresses(ctx.db));
    }
    const vm = await insertVm(ctx.db, ctx.user.id, { name, address, comment, tags }).catch((cause) => {
      if (/UNIQUE/.test(String(cause?.message))) throw new GatehouseError('conflict', `VM name "${name}" or address ${address} was just taken; try again`, { cause });
      throw cause;
    });
    ctx.changes.emit('vms');
    if (args.json) ctx.out.json(vmJson(vm));
    else ctx.out.line(`Created VM ${ctx.out.c.bold(vm.name)} at ${vm.address}${tags.length ? ` (tags: ${tags.join(', ')})` : ''}`);
  },
};
