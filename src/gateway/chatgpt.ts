// What a call on an integration whose OpenAI source is a ChatGPT account becomes (issue 13,
// research §2.5): the ChatGPT backend serves the Responses API only, streaming only, storing
// nothing, with instructions always present. Pure rules: which OpenAI paths it serves, and the
// body the backend accepts made from the client's (untouched unless a rule adds something).
import { GatehouseError } from '../errors.js';
import { chatgptBackend } from '../providers/chatgpt.js';
import { apiOf, type Api } from '../providers/usage.js';

export interface ChatgptCall {
  /** The path under the backend's base. */
  path: string;
  api: Api;
  /** The client did not ask to stream: the backend streams anyway, the client gets one JSON object (collect.ts). */
  collect: boolean;
  body: Buffer;
}

type Json = Record<string, unknown>;

/** OpenAI paths (as the provider knows them) the backend serves, and where. */
const PATHS: Record<string, { path: string; rules: boolean }> = {
  'POST /v1/responses': { path: chatgptBackend.responsesPath, rules: true },
  'POST /v1/responses/compact': { path: chatgptBackend.compactPath, rules: false },
};

function whose(integration: string, account: string): string {
  return `integration "${integration}" sends OpenAI calls to the ChatGPT account "${account}", which`;
}

/** Issue 13: only false, absent or null: store:"true" or 1 would be read as a wish to store. */
function storesNothing(store: unknown): boolean {
  return store === undefined || store === null || store === false;
}

function storeRefused(integration: string, account: string): GatehouseError {
  return new GatehouseError('invalid_input', `${whose(integration, account)} does not store responses (the ChatGPT backend accepts store:false only); leave store out or set it false`);
}

/** Any other path (chat completions, embeddings, stored responses …) is a 400 saying why. */
/** `body` undefined: `json` was already rewritten (a bare model id) and is serialised once, here. */
export function chatgptCall(integration: string, account: string, method: string, path: string, json: Json | undefined, body: Buffer | undefined): ChatgptCall {
  const served = PATHS[`${method} ${path}`];
  if (!served) {
    throw new GatehouseError('invalid_input', `${whose(integration, account)} serves the Responses API only (POST /v1/responses); use client.responses.create, or --openai=byok for Chat Completions and other OpenAI endpoints`);
  }
  if (!json) throw new GatehouseError('invalid_input', `${whose(integration, account)} takes a JSON body (content-type: application/json)`);
  const api = apiOf(path);
  if (!served.rules) return { path: served.path, api, collect: false, body: body ?? Buffer.from(JSON.stringify(json)) };
  const rules = responsesRules(integration, account, json);
  return { path: served.path, api, collect: rules.collect, body: rules.json === json && body ? body : Buffer.from(JSON.stringify(rules.json)) };
}

/**
 * store:true is refused (the backend keeps nothing); a missing store becomes false, missing
 * instructions a neutral default, and a call that does not stream is streamed upstream and
 * collected. The same object when nothing was added.
 */
export function responsesRules(integration: string, account: string, json: Json): { json: Json; collect: boolean } {
  if (!storesNothing(json.store)) throw storeRefused(integration, account);
  const collect = json.stream !== true;
  if (json.store === false && typeof json.instructions === 'string' && !collect) return { json, collect };
  const out: Json = { ...json, stream: true };
  if (out.store === undefined || out.store === null) out.store = false;
  if (out.instructions === undefined || out.instructions === null) out.instructions = chatgptBackend.defaultInstructions;
  return { json: out, collect };
}

/**
 * A response.create frame on a relayed WebSocket: the same store and instructions rules (a socket
 * streams by nature). The same object when nothing was added.
 */
export function turnRules(integration: string, account: string, frame: Json): Json {
  if (!storesNothing(frame.store)) throw storeRefused(integration, account);
  if (frame.store === false && typeof frame.instructions === 'string') return frame;
  const out: Json = { ...frame };
  if (out.store === undefined || out.store === null) out.store = false;
  if (out.instructions === undefined || out.instructions === null) out.instructions = chatgptBackend.defaultInstructions;
  return out;
}
