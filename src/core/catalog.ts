// The model catalog: which models exist, who serves them, their limits and prices (USD per
// 1M tokens). Built in (catalog/models.json), replaceable with GATEHOUSE_MODELS; validated at start.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROVIDER_IDS, type ProviderId } from '../config.js';
import { GatehouseError } from '../errors.js';

export const MODEL_APIS = ['messages', 'chat', 'responses', 'embeddings', 'generate_content'] as const;

export interface ModelPrice {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

export interface Model {
  id: string;
  provider: ProviderId;
  display_name: string;
  context_window: number;
  max_output_tokens: number;
  apis: string[];
  price: ModelPrice;
}

export class Catalog {
  private readonly byId: Map<string, Model>;

  constructor(readonly models: readonly Model[]) {
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  get(id: string): Model | undefined {
    return this.byId.get(id);
  }

  search(term?: string): Model[] {
    const t = term?.toLowerCase();
    return this.models.filter((m) => !t || m.id.toLowerCase().includes(t) || m.display_name.toLowerCase().includes(t) || m.provider === t);
  }
}

export const BUILT_IN_CATALOG = fileURLToPath(new URL('../../../catalog/models.json', import.meta.url));

export function loadCatalog(file = BUILT_IN_CATALOG): Catalog {
  const fail = (problem: string) => new GatehouseError('config', `GATEHOUSE_MODELS: ${file}: ${problem}`);
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw fail(e.code ? `cannot read the file (${e.code})` : `not valid JSON (${e.message})`);
  }
  const list = (data as { models?: unknown })?.models;
  if (!Array.isArray(list) || list.length === 0) throw fail('expected {"models": [ … ]} with at least one model');
  const seen = new Set<string>();
  const models = list.map((raw, i) => {
    const m = raw as Partial<Model>;
    const where = `models[${i}]${typeof m?.id === 'string' ? ` (${m.id})` : ''}`;
    if (typeof m?.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._\/:-]{0,127}$/.test(m.id)) throw fail(`${where}: "id" must be a model id string`);
    if (seen.has(m.id)) throw fail(`${where}: duplicate id`);
    seen.add(m.id);
    if (!PROVIDER_IDS.includes(m.provider as ProviderId)) throw fail(`${where}: "provider" must be one of ${PROVIDER_IDS.join(', ')}`);
    if (typeof m.display_name !== 'string' || !m.display_name) throw fail(`${where}: "display_name" must be a non-empty string`);
    for (const f of ['context_window', 'max_output_tokens'] as const) {
      if (!Number.isInteger(m[f]) || (m[f] as number) <= 0) throw fail(`${where}: "${f}" must be a positive integer`);
    }
    const apis = m.apis ?? [];
    if (!Array.isArray(apis) || apis.some((a) => !MODEL_APIS.includes(a as never))) throw fail(`${where}: "apis" must list some of ${MODEL_APIS.join(', ')}`);
    const price = m.price as Partial<ModelPrice> | undefined;
    for (const f of ['input', 'output', 'cache_read', 'cache_write'] as const) {
      const v = price?.[f];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw fail(`${where}: "price.${f}" must be a non-negative number (USD per 1M tokens)`);
    }
    return { id: m.id, provider: m.provider as ProviderId, display_name: m.display_name, context_window: m.context_window!, max_output_tokens: m.max_output_tokens!, apis: apis as string[], price: price as ModelPrice };
  });
  return new Catalog(models);
}
