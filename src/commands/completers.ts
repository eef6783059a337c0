// Value completers that commands declare on their arguments and options.
import { listVms } from '../db/vms.js';
import { listKeys } from '../db/sshKeys.js';
import type { CommandContext } from '../shell/types.js';

export async function vmNames(ctx: CommandContext): Promise<string[]> {
  return (await listVms(ctx.db, ctx.user.id)).map((v) => v.name);
}

export async function vmTags(ctx: CommandContext): Promise<string[]> {
  return [...new Set((await listVms(ctx.db, ctx.user.id)).flatMap((v) => v.tags))];
}

export async function sshKeyNames(ctx: CommandContext): Promise<string[]> {
  return (await listKeys(ctx.db, ctx.user.id)).map((k) => k.name);
}
