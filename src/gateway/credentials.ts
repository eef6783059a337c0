// The credential to inject for (integration, provider): the operator's managed key, the owner's
// own key (decrypted on use, cached briefly in memory), or a refusal that says why.
import type { Config, ProviderId } from '../config.js';
import type { Changes } from '../core/changes.js';
import type { IndexedIntegration } from '../core/integrationIndex.js';
import type { ProviderSetting } from '../core/integrations.js';
import { integrationSecretContext, type Sealer } from '../core/secrets.js';
import { getSealedSecret } from '../db/integrations.js';
import type { Db } from '../db/open.js';
import { GatehouseError } from '../errors.js';

const BYOK_CACHE_MS = 60_000;

export class Credentials {
  private readonly cache = new Map<string, { key: string; until: number }>();

  constructor(
    private readonly config: Readonly<Config>,
    private readonly db: Db,
    private readonly sealer: Sealer,
    changes: Changes,
  ) {
    // An edited or removed integration must stop using its old key at once.
    changes.on('integrations', () => this.cache.clear());
    changes.on('users', () => this.cache.clear());
  }

  async keyFor(integration: IndexedIntegration, provider: ProviderId, setting: ProviderSetting): Promise<string> {
    if (setting.source === 'gateway') {
      const key = this.config.providerKeys[provider];
      if (!key) throw new GatehouseError('not_configured', `the managed ${provider} key is not configured on this gatehouse; use your own key: integrations edit ${integration.name} --${provider}=byok --${provider}-key=-`);
      return key;
    }
    // A ChatGPT account has no key: its calls go through chatgptSource.ts and chatgptSocket.ts.
    if (setting.source === 'chatgpt') throw new Error('keyFor called for a ChatGPT account');
    if (setting.source !== 'byok') throw new GatehouseError('forbidden', `${provider} is disabled in integration "${integration.name}"`);
    const id = `${integration.id}:${provider}`;
    const hit = this.cache.get(id);
    if (hit && hit.until > Date.now()) return hit.key;
    const sealed = await getSealedSecret(this.db, integration.id, provider);
    if (!sealed) throw new GatehouseError('not_configured', `integration "${integration.name}" has no ${provider} key; set it: integrations edit ${integration.name} --${provider}-key=-`);
    const key = this.sealer.open(sealed, integrationSecretContext(integration.id, provider));
    this.cache.set(id, { key, until: Date.now() + BYOK_CACHE_MS });
    return key;
  }
}
