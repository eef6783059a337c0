// Issue 16.3: the structured log. One JSON object a line, levels filtered, a readable single line
// in pretty form, errors serialised without their enumerable properties, and secret shapes scrubbed
// from warnings and errors whatever carried them there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLog, flushLog, serializeError, type LogLevel } from '../../src/log.js';
import { prettyLine } from '../../src/ops/prettyLog.js';
import { scrub } from '../../src/ops/scrub.js';
import { captureLog } from '../helpers/gatehouse.js';

const PROVIDER_KEY = 'sk-ant-api03-planted-provider-key-0123456789';
const API_KEY = `gk_${'A1b2C3d4E5'.repeat(4)}`;
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXBsYW50ZWQ';
const GEMINI_KEY = 'AIzaSyPlantedGeminiKey0123456789abcdefg';

function capture(level: LogLevel = 'info', format: 'json' | 'pretty' = 'json') {
  const c = captureLog();
  const out: string[] = [];
  const destination = format === 'json' ? c.destination : { write: (s: string) => void out.push(s) };
  return { ...c, pretty: out, log: createLog({ level, format, destination, instance: 'i-test' }) };
}

/** An error as undici, pg and ssh2 make them: request options, rows and connection parameters as properties. */
function leakyError(): Error {
  const err = new Error(`upstream refused the key ${PROVIDER_KEY}`) as Error & Record<string, unknown>;
  err.code = 'UND_ERR_SOCKET';
  err.options = { headers: { authorization: `Bearer ${PROVIDER_KEY}`, 'x-api-key': PROVIDER_KEY } };
  err.detail = `Key (secret)=(${API_KEY}) already exists.`;
  err.cause = Object.assign(new Error(`connect to postgres://gatehouse:hunter2pass@db:5432/gh failed`), { code: 'ECONNREFUSED', config: { password: 'hunter2pass' } });
  return err;
}

describe('issue 16.3: the pino log', () => {
  it('issue 16.3: one JSON object a line, with level, time, instance, the child bindings and the fields', () => {
    const { log, rawLog } = capture();
    log.child({ component: 'gateway' }).info('gateway request', { request_id: 'r-1', status: 200, duration_ms: 12, tokens: { input: 1, output: 2, cache_read: 0, cache_write: 0 } });
    log.warn('something odd\nacross lines');
    log.error('it broke', new Error('bad'), { user: 'alice' });
    assert.equal(rawLog.length, 3);
    const [a, b, c] = rawLog.map((l) => JSON.parse(l));
    assert.deepEqual({ ...a, time: undefined }, { level: 'info', time: undefined, instance: 'i-test', component: 'gateway', request_id: 'r-1', status: 200, duration_ms: 12, tokens: { input: 1, output: 2, cache_read: 0, cache_write: 0 }, msg: 'gateway request' });
    assert.match(a.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(b.level, 'warn');
    assert.equal(b.msg, 'something odd\nacross lines', 'a newline stays inside its JSON string');
    assert.equal(c.level, 'error');
    assert.equal(c.user, 'alice');
    assert.deepEqual(Object.keys(c.err).sort(), ['message', 'stack', 'type']);
  });

  it('issue 16.3: the level filters: debug hidden at info, only errors at error, nothing at silent', () => {
    const say = (log: ReturnType<typeof createLog>) => (log.debug('d'), log.info('i'), log.warn('w'), log.error('e'));
    const levels = (level: LogLevel) => {
      const { log, rawLog } = capture(level);
      say(log);
      return rawLog.map((l) => JSON.parse(l).msg).join('');
    };
    assert.equal(levels('trace'), 'diwe');
    assert.equal(levels('debug'), 'diwe');
    assert.equal(levels('info'), 'iwe');
    assert.equal(levels('warn'), 'we');
    assert.equal(levels('error'), 'e');
    assert.equal(levels('silent'), '');
  });

  it('issue 16.3: pretty form: one readable line (time, level, message, k=v); only errors add their stack below', () => {
    const { log, pretty } = capture('info', 'pretty');
    log.child({ component: 'ssh' }).info('listening', { listen: '127.0.0.1:2222' });
    log.warn('two\nlines', { user: 'bob smith' });
    log.error('failed', new Error('boom'));
    assert.equal(pretty.length, 3);
    assert.match(pretty[0], /^\d\d:\d\d:\d\d\.\d{3} INFO  listening instance=i-test component=ssh listen=127\.0\.0\.1:2222\n$/);
    assert.match(pretty[1], /^\S+ WARN  two\\nlines instance=i-test user="bob smith"\n$/);
    const [first, ...stack] = pretty[2].trimEnd().split('\n');
    assert.match(first, /ERROR failed instance=i-test err=boom$/);
    assert.ok(stack.length > 0 && stack.every((l) => l.startsWith('    at ')), pretty[2]);
    assert.equal(prettyLine('not json'), 'not json\n');
  });

  it('issue 16.3: an error is serialised as type, code, message, stack and a short cause chain, never its other properties', () => {
    const { log, rawLog, logLines } = capture();
    log.error('forwarding failed', leakyError());
    const line = rawLog[0];
    for (const secret of [PROVIDER_KEY, API_KEY, 'hunter2pass', 'x-api-key', 'options', 'detail', 'config']) assert.ok(!line.includes(secret), `${secret} in ${line}`);
    const err = JSON.parse(line).err;
    assert.equal(err.type, 'Error');
    assert.equal(err.code, 'UND_ERR_SOCKET');
    assert.match(err.message, /upstream refused the key \[redacted\]/);
    assert.deepEqual(err.cause, { type: 'Error', code: 'ECONNREFUSED', message: 'connect to postgres://[redacted]@db:5432/gh failed' });
    assert.ok(!logLines.join('\n').includes(PROVIDER_KEY));
  });

  it('issue 16.3: a cause chain stops after two; non-errors are serialised as text; a cycle does not loop', () => {
    const deep = new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: new Error('d') }) }) });
    const s = serializeError(deep);
    assert.equal(s.cause?.message, 'b');
    assert.equal(s.cause?.cause?.message, 'c');
    assert.equal(s.cause?.cause?.cause, undefined);
    assert.equal(s.cause?.stack, undefined, 'causes carry no stack');
    assert.deepEqual(serializeError(`text with ${API_KEY}`), { type: 'string', message: 'text with [redacted]' });
    assert.deepEqual(serializeError({ password: 'x' }), { type: 'object', message: '[object Object]' });
    const loop = new Error('loop') as Error & { cause?: unknown };
    loop.cause = loop;
    assert.equal(serializeError(loop).cause?.cause?.cause, undefined);
  });

  it('issue 16.3: warn and error messages are scrubbed of every secret shape', () => {
    const { log, rawLog } = capture();
    log.warn(`a provider key ${PROVIDER_KEY}, an API key ${API_KEY}, a token ${JWT}, gemini ${GEMINI_KEY}`);
    log.error(`Authorization: Bearer opaque-token-value and postgres://u:p4ss@host/db`);
    const text = rawLog.join('\n');
    for (const secret of [PROVIDER_KEY, API_KEY, JWT, GEMINI_KEY, 'opaque-token-value', 'p4ss']) assert.ok(!text.includes(secret), secret);
    assert.match(text, /postgres:\/\/\[redacted\]@host\/db/);
  });

  it('issue 16.3: a field named like a secret is redacted should one slip past the types (top level and one down)', () => {
    const { log, rawLog } = capture();
    const sneaky = { user: 'alice', headers: { authorization: 'Bearer x' }, token: 't', args: ['--anthropic-key=sk-x'], vm: { name: 'box', password: 'p' } } as never;
    log.info('oops', sneaky);
    log.child({ component: 'x', secret: 's' } as never).info('bound');
    const o = JSON.parse(rawLog[0]);
    assert.deepEqual([o.user, o.headers, o.token, o.args, o.vm], ['alice', '[redacted]', '[redacted]', '[redacted]', { name: 'box', password: '[redacted]' }]);
    assert.equal(JSON.parse(rawLog[1]).secret, '[redacted]', 'child bindings too');
    assert.ok(!rawLog.join('').includes('sk-x'));
  });

  it('issue 16.3: scrub stays fast on hostile text (repeated key prefixes), and cuts it at 4 KiB', () => {
    for (const unit of ['sk-', 'eyJ', 'gk_', 'AIza', 'a://b:', 'Bearer ']) {
      const text = unit.repeat(1_000_000 / unit.length);
      const started = performance.now();
      const out = scrub(text);
      const ms = performance.now() - started;
      assert.ok(ms < 200, `${unit}: ${ms} ms`);
      assert.ok(out.length <= 4200, `${unit}: ${out.length}`);
    }
  });

  it('issue 16.3: flushLog is safe on any log, flushable or not', () => {
    const { log } = capture();
    flushLog(log);
    flushLog(log.child({ component: 'x' }));
    flushLog({ debug() {}, info() {}, warn() {}, error() {}, child: () => log });
  });
});
