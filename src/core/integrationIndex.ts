// The resolver: "which integrations apply to this VM?", "which VM has this address?" and "which
// team is this user in?", answered from memory. The snapshot is rebuilt (six queries) after any
// change to VMs, integrations, users or teams, so the gateway never reads the database per request.
import type { Db } from '../db/open.js';
import { loadResolverData } from '../db/integrations.js';
import type { Membership } from '../db/teams.js';
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

/** teamId and teamName are set on a team's integration (its userId is the team's hidden account). */
export type IndexedIntegration = IntegrationCore;

export class Snapshot {
  constructor(
    private readonly vmsByAddress: Map<string, IndexedVm>,
    private readonly integrationsByVm: Map<number, IndexedIntegration[]>,
    private readonly integrationsByOwner: Map<number, Map<string, IndexedIntegration>>,
    private readonly teams: Map<number, Membership>,
    private readonly tagsByTeamIntegration: Map<number, string[]>,
  ) {}

  vmAt(address: string): IndexedVm | undefined {
    return this.vmsByAddress.get(address);
  }

  /** Integrations attached to the VM: directly, through one of its tags, or by auto:all; its owner's team's by tag. */
  forVm(vmId: number): IndexedIntegration[] {
    return this.integrationsByVm.get(vmId) ?? [];
  }

  owned(userId: number, name: string): IndexedIntegration | undefined {
    return this.integrationsByOwner.get(userId)?.get(name);
  }

  /** The team the user is in now, if any. */
  teamOf(userId: number): Membership | undefined {
    return this.teams.get(userId);
  }

  /** The integration `name` of the team the user is in now. */
  teamOwned(userId: number, name: string): IndexedIntegration | undefined {
    const team = this.teams.get(userId);
    return team && this.integrationsByOwner.get(team.teamId)?.get(name);
  }

  /** The tags a team integration is attached to (the gateway's hint to a member's untagged VM). */
  teamTags(integrationId: number): string[] {
    return this.tagsByTeamIntegration.get(integrationId) ?? [];
  }
}

export class IntegrationIndex {
  private readonly snapshot: RebuiltOnChange<Snapshot>;

  constructor(db: Db, changes: Changes) {
    this.snapshot = new RebuiltOnChange(() => build(db), changes, ['vms', 'integrations', 'users', 'teams']);
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

  const teamOfUser = new Map<number, Membership>();
  const teamNames = new Map<number, string>();
  for (const m of data.memberships) {
    teamOfUser.set(m.user_id, { teamId: m.team_id, team: m.team, role: m.role });
    teamNames.set(m.team_id, m.team);
  }

  const integrations = new Map<number, IndexedIntegration>();
  const byOwner = new Map<number, Map<string, IndexedIntegration>>();
  for (const row of data.integrations) {
    const i = integrationFromRow(row, data.secrets);
    const team = teamNames.get(i.userId);
    if (team !== undefined) (i.teamId = i.userId), (i.teamName = team);
    integrations.set(i.id, i);
    if (!byOwner.has(i.userId)) byOwner.set(i.userId, new Map());
    byOwner.get(i.userId)!.set(i.name, i);
  }

  const teamTags = new Map<number, string[]>();
  for (const a of data.attachments) {
    if (a.kind !== 'tag' || a.tag === null || integrations.get(a.integration_id)?.teamId === undefined) continue;
    const tags = teamTags.get(a.integration_id);
    if (tags) tags.push(a.tag);
    else teamTags.set(a.integration_id, [a.tag]);
  }
  for (const tags of teamTags.values()) tags.sort();

  const byVm = new Map<number, IndexedIntegration[]>();
  for (const vm of vms) {
    const teamId = teamOfUser.get(vm.userId)?.teamId;
    const applies = new Set<number>();
    for (const a of data.attachments) {
      const i = integrations.get(a.integration_id);
      if (!i) continue;
      const tagged = a.kind === 'tag' && a.tag !== null && vm.tags.includes(a.tag);
      // A team integration reaches every member's VM with the tag (team attachments are tags only).
      if (i.teamId !== undefined) {
        if (i.teamId === teamId && tagged) applies.add(i.id);
        continue;
      }
      if (i.userId !== vm.userId) continue;
      if (a.kind === 'auto' || (a.kind === 'vm' && a.vm_id === vm.id) || tagged) applies.add(i.id);
    }
    byVm.set(vm.id, [...applies].map((id) => integrations.get(id)!).sort((a, b) => a.name.localeCompare(b.name)));
  }
  return new Snapshot(new Map(vms.map((v) => [v.address, v])), byVm, byOwner, teamOfUser, teamTags);
}
