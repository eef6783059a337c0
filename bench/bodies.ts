// Fixed, realistic upstream answers for the bench mock: one JSON body and an SSE event list per
// provider, built once so the mock spends as little CPU as possible per request.
export type BenchProvider = 'anthropic' | 'openai' | 'fireworks' | 'gemini';

const WORDS = ' The gateway forwards each request upstream and streams the answer back unchanged, metering tokens as they pass.'.split(/(?= )/);
const word = (i: number) => WORDS[i % WORDS.length];

const anthropicUsage = { input_tokens: 22, cache_creation_input_tokens: 1894, cache_read_input_tokens: 0, output_tokens: 64, service_tier: 'standard' };
const openaiUsage = { prompt_tokens: 1200, completion_tokens: 96, total_tokens: 1296, prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 64, audio_tokens: 0 } };
const geminiUsage = { promptTokenCount: 4120, candidatesTokenCount: 52, totalTokenCount: 4482, cachedContentTokenCount: 4096, thoughtsTokenCount: 310 };

const MODEL: Record<BenchProvider, string> = {
  anthropic: 'claude-sonnet-5-5',
  openai: 'gpt-5.5-mini-2026-05-12',
  fireworks: 'accounts/fireworks/models/deepseek-v3p1',
  gemini: 'gemini-2.5-flash',
};

function jsonBody(p: BenchProvider): object {
  const text = WORDS.join('').trim();
  if (p === 'anthropic') {
    return { model: MODEL[p], id: 'msg_01Fq7XkVd3n8Rj2WbYtKc9Ph', type: 'message', role: 'assistant', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: anthropicUsage };
  }
  if (p === 'gemini') {
    return { candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: geminiUsage, modelVersion: MODEL[p], responseId: 'kT9xaP6bN4iG1MkP8qXJsQk' };
  }
  return {
    id: 'chatcmpl-CbQ7rXn2Vd9KpL4sTw8YzHe1Mu3Fa', object: 'chat.completion', created: 1793548800, model: MODEL[p],
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: openaiUsage, service_tier: 'default', system_fingerprint: null,
  };
}

function anthropicEvents(n: number): string[] {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const start = ev('message_start', { message: { model: MODEL.anthropic, id: 'msg_01HcR5yNw2ZqLx8VtPe4JmKa', type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, usage: { ...anthropicUsage, output_tokens: 2 } } });
  const deltas = Array.from({ length: Math.max(0, n - 5) }, (_, i) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word(i) } }));
  return [
    start,
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...deltas,
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { ...anthropicUsage } }),
    ev('message_stop', {}),
  ];
}

function openaiEvents(p: BenchProvider, n: number): string[] {
  const chunk = (delta: object, finish: string | null, usage: object | null = null, choices = true) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-CbQ8aYp3Wf0LqM5tUx9ZaIf2Nv4Gb', object: 'chat.completion.chunk', created: 1793548861, model: MODEL[p], choices: choices ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [], usage })}\n\n`;
  const deltas = Array.from({ length: Math.max(0, n - 4) }, (_, i) => chunk({ content: word(i) }, null));
  return [chunk({ role: 'assistant', content: '' }, null), ...deltas, chunk({}, 'stop'), chunk({}, null, openaiUsage, false), 'data: [DONE]\n\n'];
}

function geminiEvents(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const last = i === n - 1;
    const usage = last ? geminiUsage : { promptTokenCount: 4120, totalTokenCount: 4430, thoughtsTokenCount: 310 };
    const candidate = { content: { parts: [{ text: word(i) }], role: 'model' }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) };
    return `data: ${JSON.stringify({ candidates: [candidate], usageMetadata: usage, modelVersion: MODEL.gemini, responseId: 'vB2yaK3mL8oH5NpQ7rWJtRw' })}\n\n`;
  });
}

const jsonCache = new Map<BenchProvider, Buffer>();
const sseCache = new Map<string, Buffer[]>();

export function responseJson(p: BenchProvider): Buffer {
  let body = jsonCache.get(p);
  if (!body) jsonCache.set(p, (body = Buffer.from(JSON.stringify(jsonBody(p)))));
  return body;
}

/** Exactly `n` SSE events (n ≥ 5) in the provider's wire format, usage where the provider puts it. */
export function responseEvents(p: BenchProvider, n: number): Buffer[] {
  const key = `${p}:${n}`;
  let events = sseCache.get(key);
  if (!events) {
    const text = p === 'anthropic' ? anthropicEvents(n) : p === 'gemini' ? geminiEvents(n) : openaiEvents(p, n);
    sseCache.set(key, (events = text.map((t) => Buffer.from(t))));
  }
  return events;
}
