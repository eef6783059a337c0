import { listVms, type VmWithTags } from '../../db/vms.js';
import type { CommandDef } from '../../shell/types.js';
import { vmNames } from '../completers.js';
import { vmJson } from './shared.js';

/**
 * Shell-style glob (* and ?) matched against the whole name or tag. Not a regex: `*a*a*a…` as
 * `.*a.*a.*…` backtracks exponentially and froze the whole server for minutes. This walks
 * both strings once, returning to the last `*` on a mismatch: O(pattern × word).
 */
export function globMatch(pattern: string, word: string): boolean {
  let p = 0;
  let w = 0;
  let star = -1;
  let resume = 0;
  while (w < word.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === word[w])) p++, w++;
    else if (p < pattern.length && pattern[p] === '*') (star = p++), (resume = w);
    else if (star !== -1) (p = star + 1), (w = ++resume);
    else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

export const ls: CommandDef = {
  path: ['ls'],
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
