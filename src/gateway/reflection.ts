// Reflection hostnames: a VM asks about itself (its owner's email, its tags and comment, and the
// integrations attached to it, its owner's team's included). Only enabled fields answer; a
// disabled one is 403.
import type { Caller } from './caller.js';
import type { IndexedIntegration, Snapshot } from '../core/integrationIndex.js';
import type { ReflectionSettings } from '../core/integrations.js';
import { findUserById } from '../db/users.js';
import type { Db } from '../db/open.js';
import { findVm } from '../db/vms.js';
import { GatehouseError } from '../errors.js';

export async function reflect(db: Db, snapshot: Snapshot, domain: string, caller: Caller, integration: IndexedIntegration, pathname: string): Promise<object> {
  const vm = caller.vm;
  if (!vm) throw new GatehouseError('forbidden', 'reflection answers VMs only: call it from the VM itself');
  const fields = (integration.settings as ReflectionSettings).fields;
  if (pathname === '/') return { fields: fields.map((f) => `/${f}`) };
  const field = pathname.slice(1);
  if (!['email', 'tags', 'comment', 'integrations'].includes(field)) throw new GatehouseError('not_found', `no such reflection path "${pathname}"; try GET /`);
  if (!fields.includes(field as never)) throw new GatehouseError('forbidden', `field "${field}" is not enabled in integration "${integration.name}"`);
  if (field === 'email') return { email: (await findUserById(db, vm.userId))?.email ?? '' };
  if (field === 'tags') return { tags: vm.tags };
  if (field === 'comment') return { comment: (await findVm(db, vm.userId, vm.name))?.comment ?? '' };
  // Team integrations (attached by one of this VM's tags) are served on their team hostname, and
  // marked; `team` is on every entry so a client can test it without a default.
  return {
    integrations: snapshot.forVm(vm.id).map((i) => {
      const host = `${i.name}.${i.teamId === undefined ? 'int' : 'team'}.${domain}`;
      return {
        name: i.name,
        type: i.type,
        team: i.teamId !== undefined,
        help: i.type === 'llm' ? `LLM APIs without a key: curl http://${host}/v1/models` : `facts about this VM: curl http://${host}/`,
      };
    }),
  };
}
