// The requests the bench sends: the same path goes to the mock (direct), the floor proxy and
// gatehouse; the mock and the floor ignore the /gateway/llm/PROVIDER prefix, gatehouse routes by it.
// The mock's answer is chosen by the `bench` query parameter, which gatehouse passes through.
import type { BenchProvider } from './bodies.js';

export type MockMode = 'json' | 'sse' | 'paced' | 'hold';

export interface BenchRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

const SYSTEM = 'You are a careful senior engineer. Answer concisely, cite file paths, and prefer small diffs. '.repeat(8);
const TURNS = [
  { role: 'user', content: 'Why does `npm test` fail after I moved the fixtures into test/fixtures?' },
  { role: 'assistant', content: 'The build compiles only src/**/*.ts, so the test helpers that import the fixtures are never emitted to dist/test.' },
  { role: 'user', content: 'Summarise the fix in one line.' },
];

function body(p: BenchProvider, stream: boolean): object {
  if (p === 'anthropic') return { model: 'claude-sonnet-5-5', max_tokens: 1024, system: SYSTEM, messages: TURNS, ...(stream ? { stream: true } : {}) };
  if (p === 'gemini') {
    return { systemInstruction: { parts: [{ text: SYSTEM }] }, contents: TURNS.map((t) => ({ role: t.role === 'assistant' ? 'model' : 'user', parts: [{ text: t.content }] })), generationConfig: { maxOutputTokens: 1024 } };
  }
  const model = p === 'openai' ? 'gpt-5.5-mini' : 'accounts/fireworks/models/deepseek-v3p1';
  return { model, max_tokens: 1024, messages: [{ role: 'system', content: SYSTEM }, ...TURNS], ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) };
}

function path(p: BenchProvider, mode: MockMode): string {
  const stream = mode !== 'json';
  switch (p) {
    case 'anthropic':
      return `/gateway/llm/anthropic/v1/messages?bench=${mode}`;
    case 'openai':
      return `/gateway/llm/openai/v1/chat/completions?bench=${mode}`;
    case 'fireworks':
      return `/gateway/llm/fireworks/inference/v1/chat/completions?bench=${mode}`;
    case 'gemini':
      return `/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:${stream ? 'streamGenerateContent?alt=sse&' : 'generateContent?'}bench=${mode}`;
  }
}

export function benchRequest(p: BenchProvider, mode: MockMode): BenchRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'gatehouse-bench/1' };
  if (p === 'anthropic') headers['anthropic-version'] = '2023-06-01';
  if (mode !== 'json') headers.accept = 'text/event-stream';
  return { method: 'POST', path: path(p, mode), headers, body: JSON.stringify(body(p, mode !== 'json')) };
}

export const PROVIDERS: BenchProvider[] = ['anthropic', 'openai', 'fireworks', 'gemini'];
