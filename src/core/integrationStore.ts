// Integrations as users see them: loaded with attachments and key status, created with their
// sealed keys in one transaction, attached by spec. Commands and account creation use this.
import type { ProviderId } from '../config.js';
import type { Db } from '../db/open.js';
import type { IntegrationRow } from '../db/schema.js';
import * as q from '../db/integrations.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/dialect.js';
import { findVm } from '../db/vms.js';
import { GatehouseError } from '../errors.js';
import { checkTag, shown } from './names.js';
import { integrationSecretContext, type Sealer } from './secrets.js';
import { defaultLlmSettings, integrationFromRow, type Integration, type IntegrationType, type Settings } from './integrations.js';

function toIntegration(row: IntegrationRow, attachments: q.AttachmentView[], keyed: { integration_id: number; provider: string }[]): Integration {
  return { ...integrationFromRow(row, keyed), attachments: attachments.filter((a) => a.integration_id === row.id).map(q.attachmentLabel) };
}

export async function listIntegrations(db: Db, userId: number): Promise<Integration[]> {
  const rows = await q.listIntegrationRows(db, userId);
  const ids = rows.map((r) => r.id);
  const [attachments, keyed] = await Promise.all([q.attachmentsOf(db, ids), q.keyedProvidersOf(db, ids)]);
  return rows.map((r) => toIntegration(r, attachments, keyed));
}

export async function requireIntegration(db: Db, userId: number, name: string): Promise<Integration> {
  const row = await q.findIntegrationRow(db, userId, name);
  if (!row) throw new GatehouseError('not_found', `integration "${shown(name)}" not found`, { hint: 'run "integrations list" to see yours' });
  const [attachments, keyed] = await Promise.all([q.attachmentsOf(db, [row.id]), q.keyedProvidersOf(db, [row.id])]);
  return toIntegration(row, attachments, keyed);
}

/**
 * The integration as it is now, locked until the transaction ends (PostgreSQL): an edit builds on
 * it, and a concurrent edit or removal waits for the edit to commit.
 */
export async function lockIntegration(trx: Db, userId: number, id: number): Promise<Integration> {
  const row = await q.lockIntegrationRow(trx, userId, id);
  if (!row) throw new GatehouseError('not_found', 'the integration was removed meanwhile');
  const [attachments, keyed] = await Promise.all([q.attachmentsOf(trx, [row.id]), q.keyedProvidersOf(trx, [row.id])]);
  return toIntegration(row, attachments, keyed);
}

/** Changes an integration's row; a new name that another session just took is a conflict, not a crash. */
export async function updateIntegration(db: Db, userId: number, id: number, set: Parameters<typeof q.updateIntegration>[3]): Promise<void> {
  try {
    await q.updateIntegration(db, userId, id, set);
  } catch (cause) {
    if (isUniqueViolation(cause)) throw new GatehouseError('conflict', `name "${set.name}" is already in use`, { hint: 'another session took it just now; choose another name', cause });
    throw cause;
  }
}

export type AttachTarget = { kind: 'vm'; vmId: number; label: string; targetKey: string } | { kind: 'tag'; tag: string; label: string; targetKey: string } | { kind: 'auto'; label: string; targetKey: string };

/** Parses vm:NAME | tag:NAME | auto:all; a VM must be the owner's own (another's is "not found"). */
export async function resolveAttachSpec(db: Db, userId: number, spec: string): Promise<AttachTarget> {
  const invalid = () => new GatehouseError('invalid_input', `invalid attachment spec "${shown(spec)}": must be vm:<name>, tag:<name>, or auto:all`);
  const m = /^(vm|tag|auto):(.+)$/.exec(spec);
  if (!m) throw invalid();
  if (m[1] === 'auto') {
    if (m[2] !== 'all') throw invalid();
    return { kind: 'auto', label: 'auto:all', targetKey: 'auto:all' };
  }
  if (m[1] === 'tag') {
    const tag = checkTag(m[2]);
    return { kind: 'tag', tag, label: `tag:${tag}`, targetKey: `tag:${tag}` };
  }
  const vm = await findVm(db, userId, m[2]);
  if (!vm) throw new GatehouseError('not_found', `VM "${shown(m[2])}" not found`, { hint: 'run "ls" to see your VMs' });
  return { kind: 'vm', vmId: vm.id, label: `vm:${vm.name}`, targetKey: `vm:${vm.id}` };
}

const attachment = (t: AttachTarget) => ({ kind: t.kind, vmId: t.kind === 'vm' ? t.vmId : undefined, tag: t.kind === 'tag' ? t.tag : undefined, targetKey: t.targetKey });

export async function attach(db: Db, integration: Integration, target: AttachTarget): Promise<void> {
  const attached = () => new GatehouseError('conflict', `integration "${integration.name}" is already attached to ${target.label}`);
  if (integration.attachments.includes(target.label)) throw attached();
  try {
    await q.insertAttachment(db, integration.id, attachment(target));
  } catch (cause) {
    // Between the check and the insert, another session attached it, or removed the VM.
    if (isUniqueViolation(cause)) throw attached();
    if (isForeignKeyViolation(cause)) throw new GatehouseError('not_found', `${target.label} was removed meanwhile`, { cause });
    throw cause;
  }
}

/** Attaches unless it is attached already (maybe a moment ago, by another session). */
export async function attachIfAbsent(db: Db, integrationId: number, target: AttachTarget): Promise<void> {
  await q.insertAttachment(db, integrationId, attachment(target), true).catch((cause) => {
    // The VM was removed since the target was resolved (the edit is rolled back).
    if (isForeignKeyViolation(cause)) throw new GatehouseError('not_found', `${target.label} was removed meanwhile`, { cause });
    throw cause;
  });
}

export async function detach(db: Db, integration: Integration, target: AttachTarget): Promise<void> {
  if ((await q.deleteAttachment(db, integration.id, target.targetKey)) === 0) {
    throw new GatehouseError('not_found', `integration "${integration.name}" is not attached to ${target.label}`, {
      hint: integration.attachments.length ? `its attachments: ${integration.attachments.join(', ')}` : 'it has no attachments',
    });
  }
}

export interface NewIntegration {
  name: string;
  type: IntegrationType;
  settings: Settings;
  comment: string | null;
  keys: Partial<Record<ProviderId, string>>;
  attach: AttachTarget[];
}

/** Creates the integration, seals its keys (bound to its id) and attaches it, all or nothing. */
export async function createIntegration(db: Db, sealer: Sealer, userId: number, spec: NewIntegration): Promise<void> {
  // The namespace (personal and team names together) is checked by the caller (integrationNames.ts
  // checkNameFree), before any key is read; the UNIQUE index catches a session that took it since.
  const taken = (cause?: unknown) => new GatehouseError('conflict', `name "${spec.name}" is already in use`, { hint: 'choose another --name, or change that one with "integrations edit"', cause });
  await db
    .transaction()
    .execute(async (trx) => {
      const row = await q.insertIntegration(trx, userId, { name: spec.name, type: spec.type, settings: spec.settings, comment: spec.comment });
      await storeKeys(trx, sealer, row.id, spec.keys);
      for (const t of spec.attach) await attachIfAbsent(trx, row.id, t);
    })
    .catch((cause) => {
      // Another session took the name since the caller's check, or removed a VM to attach to.
      if (isUniqueViolation(cause)) throw taken(cause);
      if (isForeignKeyViolation(cause)) throw new GatehouseError('not_found', 'a VM to attach it to was removed meanwhile', { cause });
      throw cause;
    });
}

export async function storeKeys(db: Db, sealer: Sealer, integrationId: number, keys: Partial<Record<string, string>>): Promise<void> {
  for (const [provider, key] of Object.entries(keys)) {
    if (key !== undefined) await q.putSecret(db, integrationId, provider, sealer.seal(key, integrationSecretContext(integrationId, provider)));
  }
}

/** Every new account starts with llm (all providers on gateway) and reflection (all fields), on auto:all. */
export async function createDefaultIntegrations(db: Db, userId: number): Promise<void> {
  const auto = { kind: 'auto' as const, targetKey: 'auto:all' };
  const llm = await q.insertIntegration(db, userId, { name: 'llm', type: 'llm', settings: defaultLlmSettings(), comment: null });
  await q.insertAttachment(db, llm.id, auto);
  const reflection = await q.insertIntegration(db, userId, { name: 'reflection', type: 'reflection', settings: { fields: ['email', 'tags', 'comment', 'integrations'] }, comment: null });
  await q.insertAttachment(db, reflection.id, auto);
}
