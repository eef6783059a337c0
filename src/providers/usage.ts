// Reading token usage from responses, per API shape (not per provider: Fireworks and the
// OpenAI-compatible endpoints of Anthropic and Gemini all answer in OpenAI's shapes).
// Pure functions over parsed JSON; the gateway feeds them SSE events as they pass.
//
// "input" is always the uncached input, so every token is counted exactly once, at its price:
// OpenAI and Gemini report cached tokens inside their prompt counts; Anthropic reports them apart.

export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  model?: string;
}

export type Api = 'messages' | 'count_tokens' | 'chat' | 'responses' | 'embeddings' | 'generate_content' | 'other';

/** Whether requests to this API consume tokens that are charged (count_tokens never is). */
export function isCharged(api: Api): boolean {
  return api !== 'count_tokens' && api !== 'other';
}

/** APIs whose usage the gateway can read, the only ones the operator's managed key serves. */
export function isMetered(api: Api): boolean {
  return api !== 'other';
}

export function apiOf(path: string): Api {
  if (/\/messages\/count_tokens$|:countTokens$/.test(path)) return 'count_tokens';
  if (/\/messages$/.test(path)) return 'messages';
  if (/\/chat\/completions$|\/completions$/.test(path)) return 'chat';
  if (/\/responses$/.test(path)) return 'responses';
  if (/\/embeddings$/.test(path)) return 'embeddings';
  if (/:(generateContent|streamGenerateContent)$/.test(path)) return 'generate_content';
  return 'other';
}

export function emptyUsage(): Usage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
}

type Json = Record<string, any>;
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);

/** Anthropic usage object: each field overwrites (message_delta is authoritative over message_start). */
function anthropicFields(u: Json | undefined, acc: Usage): void {
  if (!u) return;
  acc.input = n(u.input_tokens) ?? acc.input;
  acc.output = n(u.output_tokens) ?? acc.output;
  acc.cacheRead = n(u.cache_read_input_tokens) ?? acc.cacheRead;
  acc.cacheWrite = n(u.cache_creation_input_tokens) ?? acc.cacheWrite;
}

/** OpenAI chat / embeddings usage: prompt_tokens includes the cached ones. */
function openAiChatFields(u: Json | undefined | null, acc: Usage): void {
  if (!u) return;
  const prompt = n(u.prompt_tokens) ?? 0;
  const cached = n(u.prompt_tokens_details?.cached_tokens) ?? 0;
  acc.input = Math.max(0, prompt - cached);
  acc.cacheRead = cached;
  acc.output = n(u.completion_tokens) ?? 0;
}

function responsesFields(u: Json | undefined | null, acc: Usage): void {
  if (!u) return;
  const input = n(u.input_tokens) ?? 0;
  const cached = n(u.input_tokens_details?.cached_tokens) ?? 0;
  acc.input = Math.max(0, input - cached);
  acc.cacheRead = cached;
  acc.output = n(u.output_tokens) ?? 0;
}

/** Gemini: tool-use prompt tokens (e.g. grounding results) are billed as input, apart from the prompt. */
function geminiFields(u: Json | undefined | null, acc: Usage): void {
  if (!u) return;
  const prompt = n(u.promptTokenCount) ?? 0;
  const cached = n(u.cachedContentTokenCount) ?? 0;
  acc.input = Math.max(0, prompt - cached) + (n(u.toolUsePromptTokenCount) ?? 0);
  acc.cacheRead = cached;
  acc.output = (n(u.candidatesTokenCount) ?? 0) + (n(u.thoughtsTokenCount) ?? 0);
}

export interface UsageReader {
  /** A whole (non-streaming) JSON response (Gemini's non-SSE stream: an array of them). */
  fromJson(body: Json, acc: Usage): void;
  /** One SSE event of a streaming response; `data` already JSON-parsed. */
  fromEvent(type: string | undefined, data: Json, acc: Usage): void;
  /**
   * Whether an event (its type and raw data) can carry usage, tested before it is parsed: most
   * events of a stream are text deltas, and parsing each one was most of metering's CPU on a
   * stream (issue 18). Each test names a token that the events fromEvent reads always contain; a
   * quote inside a JSON string is escaped, so a delta's text cannot fake one (and if one did, the
   * event would only be parsed for nothing).
   */
  carries(type: string | undefined, data: string): boolean;
}

const never = () => false;

const readers: Record<Api, UsageReader> = {
  messages: {
    fromJson: (b, acc) => {
      anthropicFields(b.usage, acc);
      acc.model = b.model ?? acc.model;
    },
    fromEvent: (type, d, acc) => {
      const kind = d.type ?? type;
      if (kind === 'message_start') {
        anthropicFields(d.message?.usage, acc);
        acc.model = d.message?.model ?? acc.model;
      } else if (kind === 'message_delta') anthropicFields(d.usage, acc);
    },
    carries: (type, data) => type === 'message_start' || type === 'message_delta' || data.includes('"message_start"') || data.includes('"message_delta"'),
  },
  chat: {
    fromJson: (b, acc) => {
      openAiChatFields(b.usage, acc);
      acc.model = b.model ?? acc.model;
    },
    fromEvent: (_t, d, acc) => {
      if (d.usage) openAiChatFields(d.usage, acc);
      acc.model = d.model ?? acc.model;
    },
    // Every chunk says "usage": null once include_usage is asked for; only an object counts.
    carries: (_t, data) => USAGE_OBJECT.test(data),
  },
  embeddings: {
    fromJson: (b, acc) => {
      openAiChatFields(b.usage, acc);
      acc.model = b.model ?? acc.model;
    },
    fromEvent: () => {},
    carries: never,
  },
  responses: {
    fromJson: (b, acc) => {
      responsesFields(b.usage, acc);
      acc.model = b.model ?? acc.model;
    },
    fromEvent: (type, d, acc) => {
      const kind = d.type ?? type;
      if (kind === 'response.completed' || kind === 'response.incomplete' || kind === 'response.failed') responsesFields(d.response?.usage, acc);
      if (d.response?.model) acc.model = d.response.model;
    },
    carries: (type, data) => (type !== undefined && RESPONSE_END.test(type)) || RESPONSE_END.test(data),
  },
  generate_content: {
    // streamGenerateContent without alt=sse answers one JSON array of responses: the last
    // usageMetadata is the total, as in the SSE form.
    fromJson: (b, acc) => {
      for (const r of Array.isArray(b) ? b : [b]) {
        if (!r || typeof r !== 'object') continue;
        geminiFields(r.usageMetadata, acc);
        acc.model = r.modelVersion ?? acc.model;
      }
    },
    fromEvent: (_t, d, acc) => {
      if (d.usageMetadata) geminiFields(d.usageMetadata, acc);
      acc.model = d.modelVersion ?? acc.model;
    },
    carries: (_t, data) => data.includes('"usageMetadata"'),
  },
  count_tokens: { fromJson: () => {}, fromEvent: () => {}, carries: never },
  other: { fromJson: () => {}, fromEvent: () => {}, carries: never },
};

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const RESPONSE_END = /response\.(completed|incomplete|failed)\b/;

export function usageReader(api: Api): UsageReader {
  return readers[api];
}

/** OpenAI chat: the usage-only chunk that stream_options.include_usage adds at the end. */
export function isUsageOnlyChunk(d: Json): boolean {
  return Array.isArray(d.choices) && d.choices.length === 0 && d.usage != null;
}

/** The output-token cap a request asks for, whatever its API calls it. */
export function outputCap(body: Json | undefined): number | undefined {
  if (!body) return undefined;
  return n(body.max_tokens) ?? n(body.max_completion_tokens) ?? n(body.max_output_tokens) ?? n(body.generationConfig?.maxOutputTokens);
}
