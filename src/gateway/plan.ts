// What one LLM call will do, whichever transport carries it (an HTTP request in handler.ts, a
// response.create turn on a WebSocket in socketTurns.ts): who calls, through which integration,
// to which provider, with which setting (source) and credential, for which model, and metered how.
// Every refusal is decided here, before anything goes upstream; the transports only carry the call.
import type { IncomingMessage } from 'node:http';
import type { Config, ProviderId } from '../config.js';
import type { Catalog } from '../core/catalog.js';
import type { IndexedIntegration, Snapshot } from '../core/integrationIndex.js';
import type { ProviderSetting } from '../core/integrations.js';
import type { Services } from '../core/services.js';
import { GatehouseError } from '../errors.js';
import { isMetered, type Api } from '../providers/usage.js';
import { identify, llmOnly, type Caller } from './caller.js';
import type { Credentials } from './credentials.js';
import { keyCaller } from './keyCaller.js';
import { RequestMetering } from './metering.js';
import { checkModelProvider, decide, providerForModel, type ModelRef } from './modelPolicy.js';
import type { RequestTrace } from './trace.js';

export interface CallPlan {
  caller: Caller;
  integration: IndexedIntegration;
  provider: ProviderId;
  /** The model the call names, if any (a body's, or the path's for Gemini native). */
  ref: ModelRef | undefined;
  setting: ProviderSetting;
}

/** Who is calling: the holder of a gatehouse API key, else the VM at the connection's address (Gateway.identify inlines it). */
export async function callerOf(req: IncomingMessage, services: Services, snapshot: Snapshot): Promise<Caller> {
  return (await keyCaller(req, services.apiKeys)) ?? identify(req, snapshot);
}

/**
 * The provider (fixed by the route, else the model's) and the integration's decision for it:
 * a model of another provider, a disabled provider, a model out of scope or not in the catalog
 * for the managed key are refused here.
 */
export function planCall(catalog: Catalog, caller: Caller, integration: IndexedIntegration, routed: ProviderId | undefined, ref: ModelRef | undefined): CallPlan {
  const provider = routed ?? providerForModel(ref, catalog);
  if (ref && routed) checkModelProvider(ref, provider, catalog);
  const setting = decide(integration, provider, ref, catalog, caller.apiKey?.models);
  return { caller, integration, provider, ref, setting };
}

/** The operator's key is lent for metered model calls only (a named model, an API whose usage is read). */
export function lendsManagedKey(plan: CallPlan, api: Api): boolean {
  return plan.setting.source !== 'gateway' || (plan.ref !== undefined && isMetered(api));
}

export function managedKeyRefusal(plan: CallPlan): GatehouseError {
  const { provider, integration } = plan;
  const why = plan.ref ? '' : 'this request names no model, and ';
  return new GatehouseError('forbidden', `${why}the managed ${provider} key serves model calls only (messages, chat, responses, embeddings, generateContent, token counts); use your own key for other endpoints: integrations edit ${integration.name} --${provider}=byok --${provider}-key=-`);
}

export interface SocketLine {
  /** The plan with no model yet: each turn's model is planned on top of it. */
  plan: CallPlan;
  /**
   * The credential the socket is opened with (a key), or for a ChatGPT account its identity (its
   * token is fetched at the upgrade, chatgptSocket.ts): another one before a turn closes the socket.
   */
  key: string;
}

/**
 * What a Responses WebSocket is opened on and forwards every turn with: the integration's OpenAI
 * setting and credential (a key; a ChatGPT account's token is fetched only at the upgrade).
 */
export async function planSocket(config: Readonly<Config>, services: Services, credentials: Credentials, caller: Caller, integration: IndexedIntegration): Promise<SocketLine> {
  llmOnly(integration, config.domain, 'openai');
  const plan = planCall(services.catalog, caller, integration, 'openai', undefined);
  const { source } = plan.setting;
  if (source === 'chatgpt') {
    // Issue 13: the account's row and identity too: a re-login as another ChatGPT account under the
    // same name (or a removal and a new login) closes open sockets (1012) at their next turn.
    const account = await services.chatgpt.find(integration.userId, plan.setting.account ?? '');
    return { plan, key: `chatgpt:${integration.userId}:${plan.setting.account}:${account ? `${account.id}:${account.chatgptAccountId}` : 'none'}` };
  }
  if (source !== 'gateway' && source !== 'byok') throw new GatehouseError('upgrade_required', `the ${source} source of integration "${integration.name}" is not relayed over WebSocket`);
  return { plan, key: await credentialOf(credentials, plan) };
}

export function credentialOf(credentials: Credentials, plan: CallPlan): Promise<string> {
  return credentials.keyFor(plan.integration, plan.provider, plan.setting);
}

/** The body with the model id upstream knows (a client may send openai/gpt-5.5); the same object when it already is. */
export function withBareModel(json: Record<string, unknown> | undefined, ref: ModelRef | undefined): Record<string, unknown> | undefined {
  return json && ref?.prefixed ? { ...json, model: ref.bare } : json;
}

/**
 * Reserves credits (402 when a charged call finds none left) and starts metering; undefined when
 * metering is off. The trace (trace.ts) then waits for the usage row before it ends.
 */
export function beginMetering(config: Readonly<Config>, services: Services, plan: CallPlan, api: Api, bodyBytes: number, json: Record<string, unknown> | undefined, trace?: RequestTrace): Promise<RequestMetering> | undefined {
  if (!config.metering) return undefined;
  const { caller, integration, provider, ref, setting } = plan;
  // Waited for from before the reservation: a client gone while it is made must not end the trace without its row.
  trace?.wait();
  const begun = RequestMetering.begin(services, { caller, integration, provider, source: setting.source, api, model: ref && services.catalog.get(ref.bare), modelId: ref?.bare, bodyBytes, json, trace });
  return trace ? begun.catch((err) => (trace.metered(undefined), Promise.reject(err))) : begun;
}
