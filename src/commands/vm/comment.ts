import { checkComment } from '../../core/names.js';
import { updateVm } from '../../db/vms.js';
import type { CommandDef } from '../../shell/types.js';
import { vmNames } from '../completers.js';
import { requireVm } from './shared.js';

export const comment: CommandDef = {
  path: ['comment'],
  audit: { target: ([vm]) => `vm ${vm}` },
  summary: 'set a VM’s comment ("" clears it)',
  args: [{ name: 'VM', complete: vmNames }, { name: 'TEXT', variadic: true }],
  examples: ['comment devbox "Alice’s scratch box"', 'comment devbox ""'],
  async run(ctx, args) {
    const [name, ...words] = args._;
    const vm = await requireVm(ctx, name);
    const text = checkComment(words.join(' ').trim());
    await updateVm(ctx.db, ctx.user.id, vm.id, { comment: text || null });
    if (args.json) ctx.out.json({ name: vm.name, comment: text });
    else ctx.out.line(text ? `Comment on ${vm.name} set` : `Comment on ${vm.name} cleared`);
  },
};
