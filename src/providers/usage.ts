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
   * Where, in whole SSE events as received (bytes, from `from` on), an event that fromEvent reads
   * may be: the index of a token every such event contains, or -1. Searched before anything is
   * decoded or parsed: most events of a stream are text deltas, and decoding and parsing each one
   * was most of metering's CPU on a stream (issue 18). One native search (~80 ns on an event; a
   * second token would cost as much again), so each reader names one token, broad enough for
   * every event it reads. A delta's text may contain it too (only unquoted: quotes inside a JSON
   * string are escaped): that event is then merely parsed for nothing.
   */
  mark(events: Buffer, from: number): number;
}

const never = () => -1;

function token(text: string): (events: Buffer, from: number) => number {
  const bytes = Buffer.from(text, 'latin1');
  return (events, from) => events.indexOf(bytes, from);
}

const USAGE = Buffer.from('"usage"');

/**
 * `"usage"` followed by an object: OpenAI's chunks say `"usage":null` in every event once
 * include_usage is asked for, and only the last one's object counts. Linear: one search per key.
 */
function usageObject(events: Buffer, from: number): number {
  for (let i = events.indexOf(USAGE, from); i !== -1; ) {
    let j = i + USAGE.length;
    while (j < events.length && (events[j] === 0x20 || events[j] === 0x09 || events[j] === 0x0a || events[j] === 0x0d || events[j] === 0x3a)) j++;
    if (events[j] === 0x7b) return i;
    i = events.indexOf(USAGE, j);
  }
  return -1;
}

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
    // message_start and message_delta (message_stop too, parsed for nothing); unquoted: the
    // `event:` line names the type, and Anthropic's data repeats it.
    mark: token('message_'),
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
    mark: usageObject,
  },
  embeddings: {
    fromJson: (b, acc) => {
      openAiChatFields(b.usage, acc);
      acc.model = b.model ?? acc.model;
    },
    fromEvent: () => {},
    mark: never,
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
    // The events with a `response` object (created, in_progress, completed, incomplete, failed),
    // not the deltas, whose types only begin with "response.
    mark: token('"response"'),
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
    mark: token('"usageMetadata"'),
  },
  count_tokens: { fromJson: () => {}, fromEvent: () => {}, mark: never },
  other: { fromJson: () => {}, fromEvent: () => {}, mark: never },
};

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
