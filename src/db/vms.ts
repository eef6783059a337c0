// Queries on VMs and their tags. Every query that a user's command makes is scoped by user id.
import { inByteOrder, takeTurn } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import type { Vm } from './schema.js';

export interface VmWithTags extends Vm {
  tags: string[];
}

async function withTags(db: Db, vms: Vm[]): Promise<VmWithTags[]> {
  if (vms.length === 0) return [];
  const rows = await db
    .selectFrom('vm_tags')
    .select(['vm_id', 'tag'])
    .where('vm_id', 'in', vms.map((v) => v.id))
    .orderBy(inByteOrder(db, 'tag'))
    .execute();
  return vms.map((vm) => ({ ...vm, tags: rows.filter((r) => r.vm_id === vm.id).map((r) => r.tag) }));
}

export async function listVms(db: Db, userId: number): Promise<VmWithTags[]> {
  return withTags(db, await db.selectFrom('vms').selectAll().where('user_id', '=', userId).orderBy(inByteOrder(db, 'name')).execute());
}

export async function listAllVms(db: Db): Promise<VmWithTags[]> {
  return withTags(db, await db.selectFrom('vms').selectAll().orderBy('id').execute());
}

export async function findVm(db: Db, userId: number, name: string): Promise<VmWithTags | undefined> {
  const vm = await db.selectFrom('vms').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  return vm && (await withTags(db, [vm]))[0];
}

export async function vmNameTaken(db: Db, name: string): Promise<boolean> {
  return Boolean(await db.selectFrom('vms').select('id').where('name', '=', name).executeTakeFirst());
}

export async function vmAddressTaken(db: Db, address: string): Promise<boolean> {
  return Boolean(await db.selectFrom('vms').select('id').where('address', '=', address).executeTakeFirst());
}

export async function allVmAddresses(db: Db): Promise<Set<string>> {
  return new Set((await db.selectFrom('vms').select('address').execute()).map((r) => r.address));
}

/** Picks a free address given every address taken (throws when there is none). */
export type AddressPicker = (taken: Set<string>) => string;

/**
 * Inserts a VM at a given address, or at one picked from those still free. Picks take turns until
 * the insert commits, so two registrations at once (two sessions, two instances) never pick the
 * same address; a given address or name someone just took is a unique violation for the caller.
 */
export async function insertVm(
  db: Db,
  userId: number,
  vm: { name: string; address: string | AddressPicker; comment: string | null; tags: string[] },
): Promise<VmWithTags> {
  return db.transaction().execute(async (trx) => {
    let address = vm.address;
    if (typeof address === 'function') {
      await takeTurn(trx, 'vmAddress');
      address = address(await allVmAddresses(trx));
    }
    const row = await trx
      .insertInto('vms')
      .values({ user_id: userId, name: vm.name, address, comment: vm.comment, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (vm.tags.length) await trx.insertInto('vm_tags').values(vm.tags.map((tag) => ({ vm_id: row.id, tag }))).execute();
    return { ...row, tags: [...vm.tags].sort() };
  });
}

export async function deleteVm(db: Db, userId: number, vmId: number): Promise<void> {
  await db.deleteFrom('vms').where('id', '=', vmId).where('user_id', '=', userId).execute();
}

export async function updateVm(db: Db, userId: number, vmId: number, set: { name?: string; comment?: string | null }): Promise<void> {
  await db.updateTable('vms').set(set).where('id', '=', vmId).where('user_id', '=', userId).execute();
}

export async function addTags(db: Db, vmId: number, tags: string[]): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto('vm_tags')
    .values(tags.map((tag) => ({ vm_id: vmId, tag })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function removeTags(db: Db, vmId: number, tags: string[]): Promise<void> {
  if (tags.length === 0) return;
  await db.deleteFrom('vm_tags').where('vm_id', '=', vmId).where('tag', 'in', tags).execute();
}
