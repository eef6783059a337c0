// Assertions shared by the command suites: run a command over real SSH exec and check the
// shell's contract (no stack trace or internal error ever; errors on stderr as "error: …";
// --json answers one compact line, errors as {"error": …}).
import assert from 'node:assert/strict';
import { exec, type ExecResult, type KeyPair } from './ssh.js';

export const STACK = /\n\s+at .+:\d+:\d+/;

type ExecOptions = { stdin?: string; pty?: boolean; env?: Record<string, string> };

/** `checkOutput`: a suite's own rule for every output besides these (e.g. no secret in it). */
export function commandAsserts(port: () => number, checkOutput?: (output: string, command: string) => void) {
  /** Runs a command; whatever happens, no output may carry a stack trace or an internal error. */
  async function sh(key: KeyPair, command: string, options: ExecOptions | string = {}): Promise<ExecResult> {
    const r = await exec(port(), key, command, typeof options === 'string' ? { stdin: options } : options);
    assert.doesNotMatch(r.stdout + r.stderr, STACK, `stack trace from: ${command}`);
    assert.doesNotMatch(r.stdout + r.stderr, /internal error/, `internal error from: ${command}`);
    checkOutput?.(r.stdout + r.stderr, command);
    return r;
  }

  async function ok(key: KeyPair, command: string, stdin?: string): Promise<string> {
    const r = await sh(key, command, { stdin });
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  }

  async function okJson(key: KeyPair, command: string, stdin?: string): Promise<any> {
    const out = await ok(key, `${command} --json`, stdin);
    assert.equal(out.split('\n').length, 2, 'one compact line in exec mode');
    return JSON.parse(out);
  }

  /** A text-mode failure: `error: …` on stderr, nothing on stdout, the expected exit status. */
  async function fails(key: KeyPair, command: string, code: number, message: RegExp, stdin?: string): Promise<string> {
    const r = await sh(key, command, { stdin });
    assert.equal(r.code, code, `${command}: exit ${r.code}, stderr ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: /);
    assert.match(r.stderr, message);
    return r.stderr;
  }

  /** A --json failure: one line `{"error": …, "code": …}` (hint optional) on stdout, nothing on stderr. */
  async function failsJson(key: KeyPair, command: string, code: number, message: RegExp, stdin?: string): Promise<any> {
    const r = await sh(key, command.includes('--json') ? command : `${command} --json`, { stdin });
    assert.equal(r.code, code);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.split('\n').length, 2);
    const body = JSON.parse(r.stdout);
    assert.match(body.error, message);
    assert.deepEqual(Object.keys(body).filter((k) => k !== 'hint'), ['error', 'code']);
    assert.match(body.code, /^[a-z_]+$/, 'the stable code from src/errors.ts');
    if ('hint' in body) assert.equal(typeof body.hint, 'string');
    return body;
  }

  return { sh, ok, okJson, fails, failsJson };
}
