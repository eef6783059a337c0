// The provider contract: everything the gateway and the shell need to know about one upstream
// API, as data and pure functions. Code outside providers/ never branches on a provider's id.
import type { ProviderId } from '../config.js';

/** The error shapes of the providers' native APIs. Fireworks speaks OpenAI's. */
export type NativeStyle = 'anthropic' | 'openai' | 'gemini';

/**
 * The error wire shapes SDKs parse: a native one, or 'responses', OpenAI's Responses API, whose
 * JSON errors are OpenAI's but whose streams report a failure with their own `error` event.
 */
export type ErrorStyle = NativeStyle | 'responses';

export interface PublicError {
  status: number;
  code: string; // stable gatehouse code, e.g. not_configured
  message: string;
}

export interface Provider {
  id: ProviderId;
  displayName: string;
  /** The provider's API path under its upstream base URL, e.g. /v1 or /inference/v1. */
  apiPrefix: string;
  /** Where the OpenAI-compatible API lives (chat/completions, responses, embeddings), or undefined. */
  openaiCompatBase?: string;
  /** Path (after apiPrefix) of the cheap authenticated call used by "integrations test". */
  modelsPath: string;
  /** Model ids this provider owns when the catalog does not know them (DESIGN.md §4 routing). */
  modelPattern: RegExp;
  /** The header that carries this provider's credential, and its value for a key. */
  credentialHeader(key: string): [name: string, value: string];
  /** Headers the API requires when the client sent none, e.g. anthropic-version. */
  defaultHeaders: Record<string, string>;
  /** Statuses with which the API refuses a bad key (Gemini answers 400 API_KEY_INVALID). */
  badKeyStatuses: number[];
  /** The error shape its own native API uses. */
  errorStyle: NativeStyle;
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

const GEMINI_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  402: 'RESOURCE_EXHAUSTED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** An error body in the shape the caller's SDK parses (Anthropic, OpenAI or Gemini). */
export function errorBody(style: ErrorStyle, e: PublicError): object {
  if (style === 'anthropic') return { type: 'error', error: { type: ANTHROPIC_TYPES[e.status] ?? 'api_error', message: e.message } };
  if (style === 'gemini') return { error: { code: e.status, message: e.message, status: GEMINI_STATUS[e.status] ?? 'INTERNAL' } };
  const type = e.status === 401 ? 'authentication_error' : e.status === 403 ? 'permission_error' : e.status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message: e.message, type, param: null, code: e.code } };
}

/**
 * The SSE event that ends a stream which failed after it began, in the caller's style, as the
 * provider itself ends one: Anthropic `event: error`, OpenAI chat and Gemini a data line holding
 * their error object. The Responses `error` event carries code, message and param at the top
 * level (the documented schema) and inside `error` (what OpenAI sends on the wire, and what the
 * OpenAI SDKs raise an APIError on); `sequence` is the one after the last event the client saw.
 */
export function sseErrorEvent(style: ErrorStyle, e: PublicError, sequence = 0): string {
  if (style === 'responses') {
    const { error } = errorBody('openai', e) as { error: object };
    return `event: error\ndata: ${JSON.stringify({ type: 'error', code: e.code, message: e.message, param: null, sequence_number: sequence, error })}\n\n`;
  }
  const data = JSON.stringify(errorBody(style, e));
  return style === 'anthropic' ? `event: error\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}
