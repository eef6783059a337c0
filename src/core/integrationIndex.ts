// The resolver: "which integrations apply to this VM?" and "which VM has this address?",
// answered from memory. The snapshot is rebuilt (four queries) after any change to VMs or
// integrations, so the gateway never reads the database per request.
import type { Db } from '../db/open.js';
import { loadResolverData } from '../db/integrations.js';
import type { Changes } from './changes.js';
import { RebuiltOnChange } from './rebuiltOnChange.js';
import { integrationFromRow, type IntegrationCore } from './integrations.js';

export interface IndexedVm {
  id: number;
  userId: number;
  name: string;
  address: string;
  tags: string[];
}

export type IndexedIntegration = IntegrationCore;

export class Snapshot {
  constructor(
    private readonly vmsByAddress: Map<string, IndexedVm>,
    private readonly integrationsByVm: Map<number, IndexedIntegration[]>,
    private readonly integrationsByOwner: Map<number, Map<string, IndexedIntegration>>,
  ) {}

  vmAt(address: string): IndexedVm | undefined {
    return this.vmsByAddress.get(address);
  }

  /** Integrations attached to the VM: directly, through one of its tags, or by auto:all. */
  forVm(vmId: number): IndexedIntegration[] {
    return this.integrationsByVm.get(vmId) ?? [];
  }

  owned(userId: number, name: string): IndexedIntegration | undefined {
    return this.integrationsByOwner.get(userId)?.get(name);
  }
}

export class IntegrationIndex {
  private readonly snapshot: RebuiltOnChange<Snapshot>;

  constructor(db: Db, changes: Changes) {
    this.snapshot = new RebuiltOnChange(() => build(db), changes, ['vms', 'integrations', 'users']);
  }

  /** The current snapshot; cheap when nothing changed since the last call. */
  current(): Promise<Snapshot> {
    return this.snapshot.get();
  }
}

async function build(db: Db): Promise<Snapshot> {
  const data = await loadResolverData(db);
  const tagsByVm = new Map<number, string[]>();
  for (const t of data.tags) tagsByVm.set(t.vm_id, [...(tagsByVm.get(t.vm_id) ?? []), t.tag]);
  const vms: IndexedVm[] = data.vms.map((v) => ({ id: v.id, userId: v.user_id, name: v.name, address: v.address, tags: tagsByVm.get(v.id) ?? [] }));

  const integrations = new Map<number, IndexedIntegration>();
  const byOwner = new Map<number, Map<string, IndexedIntegration>>();
  for (const row of data.integrations) {
    const i = integrationFromRow(row, data.secrets);
    integrations.set(i.id, i);
    if (!byOwner.has(i.userId)) byOwner.set(i.userId, new Map());
    byOwner.get(i.userId)!.set(i.name, i);
  }

  const byVm = new Map<number, IndexedIntegration[]>();
  for (const vm of vms) {
    const applies = new Set<number>();
    for (const a of data.attachments) {
      const i = integrations.get(a.integration_id);
      if (!i || i.userId !== vm.userId) continue;
      if (a.kind === 'auto' || (a.kind === 'vm' && a.vm_id === vm.id) || (a.kind === 'tag' && a.tag !== null && vm.tags.includes(a.tag))) applies.add(i.id);
    }
    byVm.set(vm.id, [...applies].map((id) => integrations.get(id)!).sort((a, b) => a.name.localeCompare(b.name)));
  }
  return new Snapshot(new Map(vms.map((v) => [v.address, v])), byVm, byOwner);
}
