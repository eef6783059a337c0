// GET /v1/models on an integration whose OpenAI source is a ChatGPT account: the other providers'
// catalog models as today, and for OpenAI the models the account's plan offers, as the backend
// lists them (GET {backend}/models?client_version=…, hidden ones left out), cached a few minutes
// per account. A backend that fails leaves the OpenAI part out (logged without its body): a
// models list must not fail because one source is down.
import type { Changes } from '../core/changes.js';
import type { ChatgptAccounts } from '../core/chatgpt/accounts.js';
import type { Model } from '../core/catalog.js';
import { modelAllowed } from '../core/glob.js';
import type { IndexedIntegration } from '../core/integrationIndex.js';
import type { LlmSettings } from '../core/integrations.js';
import { asPublicError } from '../errors.js';
import type { Log } from '../log.js';
import { chatgptBackend } from '../providers/chatgpt.js';
import { refreshGuard } from './chatgptRefusals.js';

const CACHE_MS = 5 * 60_000;
const TIMEOUT_MS = 10_000;
const MAX_MODELS = 500;
/** Issue 13: how long a failed list (backend down, login lost) is not asked again. */
const FAILURE_CACHE_MS = 30_000;
/** Issue 13: a models list is a few KiB; a backend that sends more is not read into memory. */
const MAX_BODY_BYTES = 1 << 20;

export class ChatgptModels {
  private readonly cache = new Map<string, { slugs: string[]; until: number }>();
  private readonly inFlight = new Map<string, Promise<string[]>>();

  constructor(
    private readonly accounts: ChatgptAccounts,
    private readonly backend: string,
    changes: Changes,
    private readonly log: Log,
  ) {
    // A new login, a removal or needs_login: the account's models are asked again.
    changes.on('chatgpt', () => this.cache.clear());
  }

  /** The OpenAI list: `catalog` minus its OpenAI models, plus the account's (bare and openai/…), within the scope globs. */
  async list(integration: IndexedIntegration, catalog: Model[], keyGlobs: string[] | null | undefined): Promise<object> {
    const settings = integration.settings as LlmSettings;
    const allowed = (id: string) => [settings.models, keyGlobs].every((g) => !g || modelAllowed(g, 'openai', id));
    const slugs = (await this.slugs(integration)).filter(allowed);
    const entries = (id: string, owner: string) => [id, `${owner}/${id}`].map((i) => ({ id: i, object: 'model', created: 0, owned_by: owner }));
    const data = [...slugs.flatMap((s) => entries(s, 'openai')), ...catalog.filter((m) => m.provider !== 'openai').flatMap((m) => entries(m.id, m.provider))];
    return { object: 'list', data };
  }

  private async slugs(integration: IndexedIntegration): Promise<string[]> {
    const account = (integration.settings as LlmSettings).providers.openai?.account ?? '';
    // Keyed by who asks for which account: a failure (needs_login too) is known before a row id is.
    const key = `${integration.userId}:${account}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.slugs;
    // Issue 13: single-flight: concurrent lists wait for the one backend call in flight.
    let flight = this.inFlight.get(key);
    if (!flight) {
      flight = this.fetchSlugs(integration, account).then(({ slugs, ok }) => {
        // Issue 13: a failure is remembered too (briefly), or every list asks a failing backend again.
        this.cache.set(key, { slugs, until: Date.now() + (ok ? CACHE_MS : FAILURE_CACHE_MS) });
        return slugs;
      });
      this.inFlight.set(key, flight);
      void flight.finally(() => this.inFlight.delete(key));
    }
    return flight;
  }

  private async fetchSlugs(integration: IndexedIntegration, account: string): Promise<{ slugs: string[]; ok: boolean }> {
    try {
      let credential = await this.accounts.credential(integration.userId, account);
      let res = await this.ask(credential.accessToken, credential.chatgptAccountId);
      if (res.status === 401) {
        await res.body?.cancel();
        const guard = refreshGuard(this.accounts);
        credential = await guard.afterUnauthorized(credential, integration.userId, account);
        res = await this.ask(credential.accessToken, credential.chatgptAccountId);
        // Issue 13: the fresh token refused too: remembered, so no request refreshes again at once.
        if (res.status === 401) await guard.refused(credential, integration.userId, account);
      }
      if (!res.ok) {
        await res.body?.cancel();
        this.log.warn(`gateway: the ChatGPT backend answered ${res.status} to the models list of account ${credential.accountRowId}`);
        return { slugs: [], ok: false };
      }
      return { slugs: slugsOf(JSON.parse(await boundedText(res, MAX_BODY_BYTES))), ok: true };
    } catch (err) {
      this.log.warn(`gateway: no ChatGPT models for integration ${integration.id}: ${asPublicError(err).code}`);
      return { slugs: [], ok: false };
    }
  }

  private ask(accessToken: string, chatgptAccountId: string): Promise<Response> {
    const url = `${this.backend}${chatgptBackend.modelsPath}?client_version=${encodeURIComponent(chatgptBackend.clientVersion)}`;
    const headers = Object.fromEntries([...chatgptBackend.credentialHeaders(accessToken, chatgptAccountId), ...Object.entries(chatgptBackend.defaultHeaders)]);
    return fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  }
}

/** The listed slugs of a {models:[{slug, visibility}]} body; anything malformed is skipped. */
export function slugsOf(body: unknown): string[] {
  const models = (body as { models?: unknown })?.models;
  if (!Array.isArray(models)) return [];
  const out: string[] = [];
  for (const m of models.slice(0, MAX_MODELS)) {
    const slug = (m as { slug?: unknown })?.slug;
    if (typeof slug === 'string' && /^[\w.:-]{1,128}$/.test(slug) && (m as { visibility?: unknown }).visibility !== 'hide') out.push(slug);
  }
  return out;
}

/** The body as text, refused past `max` bytes (the rest is not read). */
async function boundedText(res: Response, max: number): Promise<string> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for await (const part of res.body ?? []) {
    if ((bytes += part.length) > max) throw new Error(`models list over ${max} bytes`);
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}
