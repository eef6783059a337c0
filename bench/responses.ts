// The bench's Responses API turn (OpenAI's /v1/responses, what Codex sends): one answer of `n`
// streaming events (response.created, deltas, response.completed with usage), built once, as SSE
// events for the HTTP stream and as the text frames of the Responses WebSocket (one event a frame).
const MODEL = 'gpt-5.5-mini-2026-05-12';
const WORDS = ' The relay passes each frame through untouched and meters the turn when it completes.'.split(/(?= )/);
const usage = { input_tokens: 1200, input_tokens_details: { cached_tokens: 1024 }, output_tokens: 96, output_tokens_details: { reasoning_tokens: 64 }, total_tokens: 1296 };

function events(n: number): object[] {
  const id = 'resp_0b2f6c1e9a8d4f7b0c3e5a9d2f6b8c1e4a7d0f3b6c9e2a5d';
  const item = 'msg_0b2f6c1e9a8d4f7b0c3e5a9d2f6b8c1e4a7d0f3b6c9e2a5e';
  const response = (status: string, extra: object = {}) => ({ id, object: 'response', created_at: 1793548800, status, model: MODEL, output: [], usage: null, ...extra });
  const deltas = Array.from({ length: Math.max(0, n - 2) }, (_, i) => ({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: item, output_index: 0, content_index: 0, delta: WORDS[i % WORDS.length] }));
  const text = deltas.map((d) => d.delta).join('');
  const message = { type: 'message', id: item, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
  return [
    { type: 'response.created', sequence_number: 0, response: response('in_progress') },
    ...deltas,
    { type: 'response.completed', sequence_number: n - 1, response: response('completed', { output: [message], usage }) },
  ];
}

const sse = new Map<number, Buffer[]>();
const frames = new Map<number, Buffer[]>();

/** Exactly `n` events (n ≥ 2) as SSE, `event:` line included as OpenAI sends them. */
export function responsesSse(n: number): Buffer[] {
  let out = sse.get(n);
  if (!out) sse.set(n, (out = events(n).map((e) => Buffer.from(`event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`))));
  return out;
}

/** The same `n` events as WebSocket text frames. */
export function responsesFrames(n: number): Buffer[] {
  let out = frames.get(n);
  if (!out) frames.set(n, (out = events(n).map((e) => Buffer.from(JSON.stringify(e)))));
  return out;
}

/** The turn the bench asks for, as an HTTP body (streamed) and as a response.create frame. */
const TURN = { model: 'gpt-5.5-mini', instructions: 'You are a careful senior engineer. Answer concisely.', input: [{ role: 'user', content: 'Summarise the fix in one line.' }], store: false };
export const RESPONSES_PATH = '/gateway/llm/openai/v1/responses?bench=sse';
export const RESPONSES_BODY = JSON.stringify({ ...TURN, stream: true });
export const RESPONSE_CREATE = JSON.stringify({ type: 'response.create', ...TURN });
