import { listVms, type VmWithTags } from '../../db/vms.js';
import type { CommandDef } from '../../shell/types.js';
import { vmNames } from '../completers.js';
import { vmJson } from './shared.js';
import { globMatch } from '../../core/glob.js';

export const ls: CommandDef = {
  path: ['ls'],
  audit: 'read',
  summary: 'list your VMs; patterns match a name or a tag',
  args: [{ name: 'PATTERN', variadic: true, optional: true, complete: vmNames }],
  examples: ['ls', 'ls dev-*', 'ls llm --json'],
  async run(ctx, args) {
    const patterns = args._;
    const matches = (vm: VmWithTags) => patterns.length === 0 || patterns.some((p) => globMatch(p, vm.name) || vm.tags.some((t) => globMatch(p, t)));
    const vms = (await listVms(ctx.db, ctx.user.id)).filter(matches);
    if (args.json) return void ctx.out.json(vms.map(vmJson));
    if (vms.length === 0) {
      ctx.out.line(args._.length ? 'No VMs match.' : 'No VMs yet. Register one with: new --name NAME --address ADDR');
      return;
    }
    ctx.out.table(
      vms.map((v) => [ctx.out.c.bold(v.name), v.address, v.tags.join(',') || '-', v.comment ?? '']),
      ['NAME', 'ADDRESS', 'TAGS', 'COMMENT'],
    );
  },
};
