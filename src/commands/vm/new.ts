import { checkAddress, nextFreeAddress, parsePool } from '../../core/address.js';
import { checkComment, checkTag, checkVmName, generateVmName } from '../../core/names.js';
import { insertVm, vmAddressTaken, vmNameTaken, type VmWithTags } from '../../db/vms.js';
import { GatehouseError } from '../../errors.js';
import type { CommandContext, CommandDef } from '../../shell/types.js';
import { vmJson } from './shared.js';
import { isUniqueViolation } from '../../db/dialect.js';

export const newVm: CommandDef = {
  path: ['new'],
  audit: {},
  summary: 'register a VM (the host’s provisioning boots it; gatehouse knows it by address)',
  options: {
    name: { type: 'string', value: 'NAME', describe: '5–52 chars: a-z, 0-9, single hyphens; generated when omitted' },
    address: { type: 'string', value: 'ADDR', describe: 'IPv4 or IPv6 address; the next free pool address when omitted' },
    tag: { type: 'array', value: 'TAG', describe: 'tag the VM' },
    comment: { type: 'string', value: 'TEXT', describe: 'free-form note' },
  },
  examples: ['new --name devbox --address 10.42.0.7 --tag llm', 'new --tag ci'],
  async run(ctx, args) {
    // Check every input before touching the database, so a bad value creates nothing.
    const tags = [...new Set(((args.tag as string[]) ?? []).map(checkTag))];
    // An empty comment is stored as none, as `comment VM ""` does.
    const comment = args.comment === undefined ? null : checkComment(String(args.comment).trim()) || null;
    const givenName = args.name === undefined ? undefined : checkVmName(String(args.name));
    const givenAddress = args.address === undefined ? undefined : checkAddress(String(args.address));
    // A concurrent `new` can take a name or a given address between our check and our insert: check
    // and pick again, so generated names just move on to the next free one. Pool addresses are picked
    // in turn inside the insert (insertVm), so concurrent registrations never contend for one.
    for (let attempt = 1; ; attempt++) {
      const name = givenName ?? (await freeVmName(ctx));
      if (givenName && (await vmNameTaken(ctx.db, name))) {
        throw new GatehouseError('conflict', `VM name "${name}" is taken`, { hint: 'VM names are unique across the installation; pick another' });
      }
      if (givenAddress && (await vmAddressTaken(ctx.db, givenAddress))) throw new GatehouseError('conflict', `address ${givenAddress} is already registered to a VM`);
      const address = givenAddress ?? ((taken: Set<string>) => nextFreeAddress(parsePool(ctx.config.vmPool), taken));
      try {
        return report(ctx, args.json, await insertVm(ctx.db, ctx.user.id, { name, address, comment, tags }));
      } catch (cause) {
        if (!isUniqueViolation(cause)) throw cause;
        if (attempt === 5) throw new GatehouseError('conflict', 'concurrent registrations kept taking the same name or address; try again', { cause });
      }
    }
  },
};

async function freeVmName(ctx: CommandContext): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = generateVmName();
    if (!(await vmNameTaken(ctx.db, candidate))) return candidate;
  }
  throw new GatehouseError('conflict', 'could not generate a free VM name', { hint: 'give one with --name' });
}

function report(ctx: CommandContext, json: boolean, vm: VmWithTags): void {
  ctx.audit.target(`vm ${vm.name}`); // the name may have been generated
  if (json) ctx.out.json(vmJson(vm));
  else ctx.out.line(`Created VM ${ctx.out.c.bold(vm.name)} at ${vm.address}${vm.tags.length ? ` (tags: ${vm.tags.join(', ')})` : ''}`);
}
