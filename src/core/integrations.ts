// Integration types and their settings: what an llm or reflection integration is, how it reads
// in one line, and its JSON form (never a secret: only whether a key is set).
import { PROVIDER_IDS, type ProviderId } from '../config.js';
import { GatehouseError } from '../errors.js';
import { shown } from './names.js';

export const INTEGRATION_TYPES = ['llm', 'reflection'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

export const SOURCES = ['gateway', 'byok', 'chatgpt', 'disabled'] as const;
export type Source = (typeof SOURCES)[number];

export interface ProviderSetting {
  source: Source;
  /** ChatGPT account name, for source chatgpt. */
  account?: string;
}

export interface LlmSettings {
  providers: Record<ProviderId, ProviderSetting>;
  /** Model globs this integration serves; null: every model of its providers. */
  models: string[] | null;
}

export const REFLECTION_FIELDS = ['email', 'tags', 'comment', 'integrations'] as const;
export type ReflectionField = (typeof REFLECTION_FIELDS)[number];

export interface ReflectionSettings {
  fields: ReflectionField[];
}

export type Settings = LlmSettings | ReflectionSettings;

/** An integration as the gateway sees it: settings and key status, without attachment labels. */
export type IntegrationCore = Omit<Integration, 'attachments'>;

/** Builds the object from its stored row; keyed lists (integration_id, provider) of sealed keys. */
export function integrationFromRow(
  row: { id: number; user_id: number; name: string; type: string; settings: string; comment: string | null },
  keyed: { integration_id: number; provider: string }[],
): IntegrationCore {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    type: row.type as IntegrationType,
    settings: JSON.parse(row.settings) as Settings,
    comment: row.comment,
    keyedProviders: keyed.filter((k) => k.integration_id === row.id).map((k) => k.provider),
  };
}

export interface Integration {
  id: number;
  userId: number;
  name: string;
  type: IntegrationType;
  settings: Settings;
  comment: string | null;
  /** Providers with a sealed key on file. */
  keyedProviders: string[];
  /** Display forms: vm:NAME, tag:NAME, auto:all. */
  attachments: string[];
  /** Set when a team owns it (userId is then the team's hidden account, migration 0014). */
  teamId?: number;
  teamName?: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkIntegrationName(name: string): string {
  if (!NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid integration name "${shown(name)}": use a DNS label, 1–63 of a-z, 0-9 and "-", not starting or ending with "-"`);
  }
  return name;
}

export function defaultLlmSettings(): LlmSettings {
  return { providers: Object.fromEntries(PROVIDER_IDS.map((p) => [p, { source: 'gateway' }])) as Record<ProviderId, ProviderSetting>, models: null };
}

export function parseFields(text: string): ReflectionField[] {
  const t = text.trim();
  if (t === 'all') return [...REFLECTION_FIELDS];
  if (t === 'none') return [];
  const fields = t.split(',').map((f) => f.trim());
  for (const f of fields) {
    if (!REFLECTION_FIELDS.includes(f as ReflectionField)) {
      throw new GatehouseError('invalid_input', `unknown reflection field "${shown(f)}": use all, none, or a list of ${REFLECTION_FIELDS.join(', ')}`);
    }
  }
  return REFLECTION_FIELDS.filter((f) => fields.includes(f));
}

export function parseModelGlobs(text: string): string[] | null {
  const t = text.trim();
  if (t === '' || t === 'all' || t === '*') return null;
  const globs = [...new Set(t.split(',').map((g) => g.trim()).filter(Boolean))];
  for (const g of globs) {
    if (g.length > 128 || !/^[A-Za-z0-9._\/:*?-]+$/.test(g)) {
      throw new GatehouseError('invalid_input', `invalid model pattern "${shown(g)}": use model ids with * and ? wildcards, e.g. 'claude-*,gpt-5*'`);
    }
  }
  if (globs.length > 50) throw new GatehouseError('invalid_input', 'too many model patterns (at most 50)');
  return globs;
}

export function summary(i: Pick<Integration, 'type' | 'settings'>): string {
  if (i.type === 'llm') {
    const s = i.settings as LlmSettings;
    const parts = PROVIDER_IDS.filter((p) => s.providers[p].source !== 'disabled').map((p) => {
      const ps = s.providers[p];
      return `${p}(${ps.source === 'chatgpt' ? `chatgpt:${ps.account}` : ps.source})`;
    });
    return `providers=${parts.join(',') || '(none)'}${s.models ? ` models=${s.models.join(',')}` : ''}`;
  }
  const fields = (i.settings as ReflectionSettings).fields;
  return `fields=${fields.length === REFLECTION_FIELDS.length ? 'all' : fields.length === 0 ? 'none' : fields.join(',')}`;
}

export function integrationJson(i: Integration): object {
  // "team": the team's name on a team integration (issue 14); absent on a personal one.
  const base = { name: i.name, ...(i.teamName !== undefined ? { team: i.teamName } : {}), type: i.type, summary: summary(i), attachments: i.attachments, comment: i.comment ?? '' };
  if (i.type === 'llm') {
    const s = i.settings as LlmSettings;
    const providers = Object.fromEntries(
      PROVIDER_IDS.map((p) => [p, { source: s.providers[p].source, ...(s.providers[p].account ? { account: s.providers[p].account } : {}), ...(s.providers[p].source === 'byok' ? { key: i.keyedProviders.includes(p) ? 'set' : 'missing' } : {}) }]),
    );
    return { ...base, providers, models: s.models ?? 'all' };
  }
  return { ...base, fields: (i.settings as ReflectionSettings).fields };
}
