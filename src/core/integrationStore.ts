// Integrations as users see them: loaded with attachments and key status, created with their
// sealed keys in one transaction, attached by spec. Commands and account creation use this.
import type { ProviderId } from '../config.js';
import type { Db } from '../db/open.js';
import type { IntegrationRow } from '../db/schema.js';
import * as q from '../db/integrations.js';
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

export async function attach(db: Db, integration: Integration, target: AttachTarget): Promise<void> {
  if (integration.attachments.includes(target.label)) {
    throw new GatehouseError('conflict', `integration "${integration.name}" is already attached to ${target.label}`);
  }
  await q.insertAttachment(db, integration.id, { kind: target.kind, vmId: target.kind === 'vm' ? target.vmId : undefined, tag: target.kind === 'tag' ? target.tag : undefined, targetKey: target.targetKey });
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
  if (await q.findIntegrationRow(db, userId, spec.name)) {
    throw new GatehouseError('conflict', `you already have an integration named "${spec.name}"`, { hint: 'choose another --name, or change it with "integrations edit"' });
  }
  await db.transaction().execute(async (trx) => {
    const row = await q.insertIntegration(trx, userId, { name: spec.name, type: spec.type, settings: spec.settings, comment: spec.comment });
    await storeKeys(trx, sealer, row.id, spec.keys);
    const seen = new Set<string>();
    for (const t of spec.attach) {
      if (seen.has(t.targetKey)) continue;
      seen.add(t.targetKey);
      await q.insertAttachment(trx, row.id, { kind: t.kind, vmId: t.kind === 'vm' ? t.vmId : undefined, tag: t.kind === 'tag' ? t.tag : undefined, targetKey: t.targetKey });
    }
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
