// The signed-in user's things on /user (issue 17): credits, VMs, integrations and API keys, each
// read for the session's user only, in the shapes `credits --json`, `ls`, `integrations list` and
// `keys list` use. Never a secret: integrations say only whether a byok key is set; keys show
// their prefix.
import type { BalanceReport } from '../../core/credits.js';
import { listVisibleIntegrations } from '../../core/integrationNames.js';
import { summary } from '../../core/integrations.js';
import { listApiKeys } from '../../db/apiKeys.js';
import { listVms } from '../../db/vms.js';
import { table, usd } from '../layout.js';
import { esc } from '../respond.js';
import type { WebContext } from '../types.js';

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

/** section#credits[data-FIELD-micros] (as `credits --json`), dd[data-testid=credits-FIELD], and a meter of used against allocation + granted. */
export function creditsSection(r: BalanceReport, heading = 'Credits', id = 'credits'): string {
  const available = r.allocation_micros + r.granted_micros;
  const field = (name: string, label: string, micros: number) => `<div><dt>${esc(label)}</dt><dd data-testid="${id}-${name}" data-micros="${micros}">${esc(usd(micros))}</dd></div>`;
  const resets = r.resets_at.replace('T', ' ').replace(/:00\.000Z$/, ' UTC');
  const data = ['allocation', 'used', 'granted', 'remaining'].map((f) => ` data-${f}-micros="${r[`${f}_micros` as keyof BalanceReport]}"`).join('');
  return `<section class="credits" id="${esc(id)}" data-month="${esc(r.month)}"${data}><h2>${esc(heading)}, ${esc(r.month)}</h2>
<meter class="meter" id="${esc(id)}-meter" min="0" max="${Math.max(available, 1)}" value="${Math.min(r.used_micros, Math.max(available, 1))}" title="${esc(usd(r.used_micros))} of ${esc(usd(available))}"></meter>
<dl>${field('allocation', 'Allocation', r.allocation_micros)}${field('used', 'Used', r.used_micros)}${field('granted', 'Granted', r.granted_micros)}${field('remaining', 'Remaining', Math.max(0, r.remaining_micros))}<div><dt>Resets</dt><dd data-testid="${id}-resets" data-iso="${esc(r.resets_at)}">${esc(resets)}</dd></div></dl>
<p class="empty">Only the managed "gateway" source is charged; byok traffic is metered but free.</p></section>`;
}

export async function vmsSection(ctx: WebContext, userId: number): Promise<string> {
  const vms = await listVms(ctx.deps.db, userId);
  const cols = [
    { key: 'name', label: 'Name', cell: (v: (typeof vms)[number]) => v.name },
    { key: 'address', label: 'Address', cell: (v: (typeof vms)[number]) => v.address },
    { key: 'tags', label: 'Tags', cell: (v: (typeof vms)[number]) => v.tags.join(', ') || '-' },
    { key: 'comment', label: 'Comment', cell: (v: (typeof vms)[number]) => v.comment ?? '' },
  ];
  return `<section><h2>VMs</h2>${table('vms', cols, vms, (v) => v.name, 'No VMs yet. Register one over SSH: new --name NAME --address ADDR')}</section>`;
}

export async function integrationsSection(ctx: WebContext, userId: number): Promise<string> {
  const all = await listVisibleIntegrations(ctx.deps.db, userId);
  type I = (typeof all)[number];
  const cols = [
    { key: 'name', label: 'Name', cell: (i: I) => i.name },
    // A team's integrations answer on NAME.team.DOMAIN, as the reflection integration lists them.
    { key: 'hostname', label: 'Hostname', cell: (i: I) => `${i.name}.${i.teamId === undefined ? 'int' : 'team'}.${ctx.deps.config.domain}` },
    { key: 'type', label: 'Type', cell: (i: I) => i.type },
    { key: 'summary', label: 'Sources', cell: (i: I) => summary(i) },
    { key: 'attachments', label: 'Attached to', cell: (i: I) => i.attachments.join(', ') || '-' },
    { key: 'team', label: 'Team', cell: (i: I) => i.teamName ?? '' },
  ];
  return `<section><h2>Integrations</h2>${table('integrations', cols, all, (i) => i.name, 'No integrations. Add one over SSH: integrations add llm --name NAME')}</section>`;
}

export async function keysSection(ctx: WebContext, userId: number): Promise<string> {
  const keys = await listApiKeys(ctx.deps.db, userId);
  // Scope by current name (stored by id, so renames follow), as `keys list` shows it.
  const names = new Map((await listVisibleIntegrations(ctx.deps.db, userId)).map((i) => [i.id, i.name]));
  type K = (typeof keys)[number];
  const scope = (k: K) => {
    const ints = k.integrations ? (JSON.parse(k.integrations) as number[]).map((id) => names.get(id)).filter(Boolean).join(', ') || '(none left)' : 'all';
    return `integrations: ${ints}; models: ${k.models ? (JSON.parse(k.models) as string[]).join(', ') : 'all'}`;
  };
  const expired = (k: K) => k.expires_at !== null && Date.parse(k.expires_at) <= Date.now();
  const cols = [
    { key: 'name', label: 'Name', cell: (k: K) => k.name },
    { key: 'prefix', label: 'Key', cell: (k: K) => `${k.prefix}…` },
    { key: 'scope', label: 'Scope', cell: scope },
    { key: 'created', label: 'Created', cell: (k: K) => when(k.created_at) },
    { key: 'last_used', label: 'Last used', cell: (k: K) => when(k.last_used_at) },
    { key: 'expires', label: 'Expires', cell: (k: K) => (expired(k) ? `expired ${when(k.expires_at)}` : k.expires_at ? when(k.expires_at) : 'never') },
  ];
  return `<section><h2>API keys</h2>${table('api-keys', cols, keys, (k) => k.name, 'No API keys. Mint one over SSH: keys create --name NAME')}</section>`;
}
