// Queries on integrations, their sealed provider keys and their attachments.
// Everything a user's command reaches is scoped by the owner's user id.
import { forUpdate, inByteOrder } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import type { AttachmentRow, IntegrationRow } from './schema.js';
import { loadMemberships } from './teams.js';

export interface AttachmentView extends AttachmentRow {
  vm_name: string | null;
}

export function attachmentLabel(a: Pick<AttachmentView, 'kind' | 'vm_name' | 'tag'>): string {
  return a.kind === 'auto' ? 'auto:all' : a.kind === 'vm' ? `vm:${a.vm_name}` : `tag:${a.tag}`;
}

export async function listIntegrationRows(db: Db, userId: number): Promise<IntegrationRow[]> {
  return db.selectFrom('integrations').selectAll().where('user_id', '=', userId).orderBy(inByteOrder(db, 'name')).execute();
}

export async function findIntegrationRow(db: Db, userId: number, name: string): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
}

/** The row, locked until the transaction ends: an edit reads, merges and writes it in turn. */
export async function lockIntegrationRow(db: Db, userId: number, id: number): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('user_id', '=', userId).where('id', '=', id).$call(forUpdate(db)).executeTakeFirst();
}

export async function attachmentsOf(db: Db, integrationIds: number[]): Promise<AttachmentView[]> {
  if (integrationIds.length === 0) return [];
  return db
    .selectFrom('attachments')
    .leftJoin('vms', 'vms.id', 'attachments.vm_id')
    .selectAll('attachments')
    .select('vms.name as vm_name')
    .where('attachments.integration_id', 'in', integrationIds)
    .orderBy('attachments.id')
    .execute();
}

export async function keyedProvidersOf(db: Db, integrationIds: number[]): Promise<{ integration_id: number; provider: string }[]> {
  if (integrationIds.length === 0) return [];
  return db.selectFrom('integration_secrets').select(['integration_id', 'provider']).where('integration_id', 'in', integrationIds).execute();
}

export async function insertIntegration(db: Db, userId: number, values: { name: string; type: string; settings: object; comment: string | null }): Promise<IntegrationRow> {
  const now = nowIso();
  return db
    .insertInto('integrations')
    .values({ user_id: userId, name: values.name, type: values.type, settings: JSON.stringify(values.settings), comment: values.comment, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateIntegration(db: Db, userId: number, id: number, set: { name?: string; settings?: object; comment?: string | null }): Promise<void> {
  await db
    .updateTable('integrations')
    .set({ ...(set.name !== undefined ? { name: set.name } : {}), ...(set.settings ? { settings: JSON.stringify(set.settings) } : {}), ...(set.comment !== undefined ? { comment: set.comment } : {}), updated_at: nowIso() })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteIntegration(db: Db, userId: number, id: number): Promise<void> {
  await db.deleteFrom('integrations').where('id', '=', id).where('user_id', '=', userId).execute();
}

export async function putSecret(db: Db, integrationId: number, provider: string, sealed: string): Promise<void> {
  await db
    .insertInto('integration_secrets')
    .values({ integration_id: integrationId, provider, sealed, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['integration_id', 'provider']).doUpdateSet({ sealed, created_at: nowIso() }))
    .execute();
}

export async function deleteSecret(db: Db, integrationId: number, provider: string): Promise<void> {
  await db.deleteFrom('integration_secrets').where('integration_id', '=', integrationId).where('provider', '=', provider).execute();
}

export async function getSealedSecret(db: Db, integrationId: number, provider: string): Promise<string | undefined> {
  const row = await db.selectFrom('integration_secrets').select('sealed').where('integration_id', '=', integrationId).where('provider', '=', provider).executeTakeFirst();
  return row?.sealed;
}

/** `ifAbsent`: an attachment that exists already (maybe made a moment ago) is kept as it is. */
export async function insertAttachment(db: Db, integrationId: number, a: { kind: 'vm' | 'tag' | 'auto'; vmId?: number; tag?: string; targetKey: string }, ifAbsent = false): Promise<void> {
  await db
    .insertInto('attachments')
    .values({ integration_id: integrationId, kind: a.kind, vm_id: a.vmId ?? null, tag: a.tag ?? null, target_key: a.targetKey, created_at: nowIso() })
    .$if(ifAbsent, (q) => q.onConflict((oc) => oc.columns(['integration_id', 'target_key']).doNothing()))
    .execute();
}

export async function deleteAttachment(db: Db, integrationId: number, targetKey: string): Promise<number> {
  const r = await db.deleteFrom('attachments').where('integration_id', '=', integrationId).where('target_key', '=', targetKey).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Everything the in-memory resolver needs, in six queries. */
export async function loadResolverData(db: Db) {
  const [integrations, attachments, vms, tags] = await Promise.all([
    db.selectFrom('integrations').selectAll().execute(),
    db.selectFrom('attachments').selectAll().execute(),
    db.selectFrom('vms').select(['id', 'user_id', 'name', 'address']).execute(),
    db.selectFrom('vm_tags').selectAll().execute(),
  ]);
  const [secrets, memberships] = await Promise.all([db.selectFrom('integration_secrets').select(['integration_id', 'provider']).execute(), loadMemberships(db)]);
  return { integrations, attachments, vms, tags, secrets, memberships };
}
