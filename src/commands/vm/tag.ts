import { checkTag } from '../../core/names.js';
import { addTags, findVm, removeTags } from '../../db/vms.js';
import type { CommandDef } from '../../shell/types.js';
import { vmNames, vmTags } from '../completers.js';
import { requireVm, vmJson } from './shared.js';

export const tag: CommandDef = {
  path: ['tag'],
  audit: { target: ([vm]) => `vm ${vm}` },
  summary: 'add tags to a VM, or remove them with -d',
  args: [{ name: 'VM', complete: vmNames }, { name: 'TAG', variadic: true, complete: vmTags }],
  options: { delete: { type: 'boolean', alias: 'd', describe: 'remove the tags instead of adding them' } },
  examples: ['tag devbox llm gpu', 'tag -d devbox gpu'],
  async run(ctx, args) {
    const [name, ...rawTags] = args._;
    const vm = await requireVm(ctx, name);
    const tags = [...new Set(rawTags.map(checkTag))];
    if (args.delete) await removeTags(ctx.db, vm.id, tags);
    else await addTags(ctx.db, vm.id, tags);
    const updated = (await findVm(ctx.db, ctx.user.id, vm.name))!;
    if (args.json) ctx.out.json(vmJson(updated));
    else ctx.out.line(`${updated.name} tags: ${updated.tags.join(', ') || '(none)'}`);
  },
};
