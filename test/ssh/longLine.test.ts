// Issue 11.2: a long line typed at the prompt froze the whole server (node:readline's per-key work
// grew with the line). Each flood here is 1 MiB sent without paste markers; the line must be
// refused with a one-line message, the same session must go on, and another user must be answered
// within a second throughout. The test reports how long the refusal took and the event loop's
// longest stall (the server runs in this process, so the figure includes the client's own work).
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it, type TestContext } from 'node:test';
import type ssh2 from 'ssh2';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { connect, exec, openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { KEYS, type ScriptedTerminal } from '../helpers/terminal.js';

const MiB = 1 << 20;
const REFUSED = /error: line too long \(at most 64 KiB\); it was not run/;

describe('issue 11.2: a long line typed at the prompt', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;
  const open: ScriptedTerminal[] = [];
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(async () => {
    for (const t of open) t.close();
    await gh.stop();
  });

  async function shell(): Promise<ScriptedTerminal> {
    const term = await openShell(gh.sshPort, alice);
    open.push(term);
    await term.waitForPrompt();
    return term;
  }

  /** Sends the flood, times bob's whoami started meanwhile and the wait for `refused`; reports both. */
  async function flood(t: TestContext, term: ScriptedTerminal, send: () => void, refused: RegExp): Promise<void> {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    send();
    const other = exec(gh.sshPort, bob, 'whoami --json').then((r) => ({ ...r, ms: performance.now() - started }));
    await term.waitFor(() => refused.test(term.raw), 60_000);
    const refusedMs = performance.now() - started;
    const bobs = await other;
    delay.disable();
    t.diagnostic(`refused after ${refusedMs.toFixed(0)} ms; bob's whoami took ${bobs.ms.toFixed(0)} ms; event loop max delay ${(delay.max / 1e6).toFixed(1)} ms`);
    assert.equal(JSON.parse(bobs.stdout).name, 'bob');
    assert.ok(bobs.ms < 1000, `bob waited ${bobs.ms} ms`);
    assert.match(await term.run('whoami --json\r', 10_000), /"name": "alice"/);
    assert.equal(term.closed, false);
  }

  it('issue 11.2: `ls ` + 1 MiB of q + Enter in one write is refused; the session runs whoami next', async (t) => {
    const term = await shell();
    await flood(t, term, () => term.type('ls ' + 'q'.repeat(MiB) + KEYS.enter), REFUSED);
    assert.equal(term.raw.match(/line too long/g)?.length, 1);
    assert.doesNotMatch(term.screen(), /command not found/);
  });

  it('issue 11.2: the same flood split into 16 384 packets of 64 bytes', async (t) => {
    const term = await shell();
    await flood(
      t,
      term,
      () => {
        term.type('ls ');
        const packet = 'q'.repeat(64);
        for (let i = 0; i < MiB / 64; i++) term.type(packet);
        term.type(KEYS.enter);
      },
      REFUSED,
    );
  });

  it('issue 11.2: a flood of ←/→ and characters in the middle of a long line', async (t) => {
    const term = await shell();
    const cycle = `${KEYS.left}x${KEYS.left}${KEYS.right}${KEYS.left}y`; // net: two characters inserted, cursor mid-line
    const keys = 'ls ' + 'q'.repeat(20_000) + KEYS.left.repeat(10_000) + cycle.repeat(Math.floor(MiB / cycle.length)) + KEYS.enter;
    await flood(t, term, () => term.type(keys), REFUSED);
  });

  it('issue 11.2: a flood of Home/End with edits at both ends stays linear', async (t) => {
    const term = await shell();
    const cycle = `${KEYS.home}a${KEYS.end}b${KEYS.backspace}`;
    const keys = 'ls ' + cycle.repeat(Math.floor(MiB / cycle.length)) + KEYS.enter;
    await flood(t, term, () => term.type(keys), REFUSED);
  });

  it('issue 11.2: a 1 MiB answer to a secret question is refused; nothing is created', async (t) => {
    const term = await shell();
    term.type('integrations add llm --name flooded --anthropic=byok --anthropic-key=-\r');
    await term.waitFor(/Anthropic API key:$/);
    await flood(t, term, () => term.type('k'.repeat(MiB) + KEYS.enter), /error: answer too long \(at most 64 KiB\)/);
    assert.doesNotMatch(term.raw, /kkkk/, 'the secret is not echoed');
    assert.doesNotMatch((await exec(gh.sshPort, alice, 'integrations list')).stdout, /flooded/);
  });

  it('issue 11.2: without a PTY (ssh -T), a 1 MiB line is refused and the next line runs', async () => {
    const client = await connect(gh.sshPort, alice);
    try {
      const output = await new Promise<string>((resolve, reject) => {
        (client as ssh2.Client).shell(false, (err, stream) => {
          if (err) return reject(err);
          let text = '';
          stream.on('data', (d: Buffer) => (text += d));
          stream.stderr.on('data', (d: Buffer) => (text += d));
          stream.on('close', () => resolve(text));
          stream.end('ls ' + 'q'.repeat(MiB) + '\nwhoami --json\nexit\n');
        });
      });
      assert.match(output, REFUSED);
      assert.match(output, /"name": "alice"/);
      assert.doesNotMatch(output, /qqqq/);
    } finally {
      client.end();
    }
  });

  it('issue 11.2: ssh -t HOST … --anthropic-key=- with a 1 MiB answer is refused as too large', async () => {
    const started = performance.now();
    const r = await exec(gh.sshPort, alice, 'integrations add llm --name pty-flood --anthropic=byok --anthropic-key=-', { pty: true, stdin: 'k'.repeat(MiB) + '\r', eof: false });
    assert.ok(performance.now() - started < 10_000);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /input is too large \(at most 64 KiB\)/);
    assert.doesNotMatch(r.stdout, /kkkk/);
  });
});
