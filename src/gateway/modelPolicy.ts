// Which provider serves a model, and whether this integration may send it there. Every refusal
// happens here, before anything goes upstream (DESIGN.md §4 "Routes").
import { PROVIDER_IDS, type ProviderId } from '../config.js';
import type { Catalog } from '../core/catalog.js';
import type { IndexedIntegration } from '../core/integrationIndex.js';
import { modelAllowed } from '../core/glob.js';
import type { LlmSettings, ProviderSetting } from '../core/integrations.js';
import { GatehouseError } from '../errors.js';
import { providers } from '../providers/index.js';

const PREFIXED = new RegExp(`^(${PROVIDER_IDS.join('|')})/(.+)$`);

export interface ModelRef {
  /** The id upstream knows (a provider/ prefix removed). */
  bare: string;
  /** The provider named by a provider/ prefix, when the client used one. */
  prefixed?: ProviderId;
}

/** Longest model id accepted: real ids are under 100 characters, and every id meets the scope globs. */
export const MAX_MODEL_ID = 256;

export function parseModel(model: string): ModelRef {
  if (model.length > MAX_MODEL_ID) throw new GatehouseError('invalid_input', `model id is too long (at most ${MAX_MODEL_ID} characters)`);
  const m = PREFIXED.exec(model);
  return m ? { bare: m[2], prefixed: m[1] as ProviderId } : { bare: model };
}

/** The provider that owns a model id: the catalog first, then the id's well-known prefix. */
export function ownerOf(bare: string, catalog: Catalog): ProviderId | undefined {
  return catalog.get(bare)?.provider ?? PROVIDER_IDS.find((p) => providers[p].modelPattern.test(bare));
}

/** For routes that pick the provider by model (/v1/chat/completions, …). */
export function providerForModel(ref: ModelRef | undefined, catalog: Catalog): ProviderId {
  if (!ref) throw new GatehouseError('invalid_input', 'request body has no "model": cannot tell which provider to use');
  const p = ref.prefixed ?? ownerOf(ref.bare, catalog);
  if (!p) throw new GatehouseError('invalid_input', `cannot tell which provider serves model "${ref.bare}"; prefix it with its provider, e.g. openai/${ref.bare}`);
  return p;
}

/** Checks a model against a provider fixed by the route. */
export function checkModelProvider(ref: ModelRef, provider: ProviderId, catalog: Catalog): void {
  const owner = ref.prefixed ?? ownerOf(ref.bare, catalog);
  if (owner && owner !== provider) throw new GatehouseError('invalid_input', `model "${ref.bare}" is served by ${owner}, not ${provider}`);
}

/** The integration's setting for this provider and model, or why not: disabled, out of scope, unpriced. */
export function decide(integration: IndexedIntegration, provider: ProviderId, ref: ModelRef | undefined, catalog: Catalog, keyGlobs?: string[] | null): ProviderSetting {
  const settings = integration.settings as LlmSettings;
  const setting = settings.providers[provider];
  if (!setting || setting.source === 'disabled') {
    throw new GatehouseError('forbidden', `${provider} is disabled in integration "${integration.name}"; enable it over SSH: integrations edit ${integration.name} --${provider}=gateway`);
  }
  if (ref) {
    for (const [globs, whose] of [[settings.models, `integration "${integration.name}"`], [keyGlobs, 'this API key']] as const) {
      if (globs && !modelAllowed(globs, provider, ref.bare)) {
        throw new GatehouseError('forbidden', `model "${ref.bare}" is not allowed by ${whose} (allowed: ${globs.join(', ')})`);
      }
    }
    if (setting.source === 'gateway' && catalog.get(ref.bare)?.provider !== provider) {
      throw new GatehouseError('invalid_input', `model "${ref.bare}" is not in this gatehouse's catalog, so the managed ${provider} key cannot serve it; use your own key: integrations edit ${integration.name} --${provider}=byok --${provider}-key=-`);
    }
  }
  return setting;
}
