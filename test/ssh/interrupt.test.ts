// Interruptible input (issue 13, research §2.4 "Cancel"): a command waiting on a remote party (the
// device-code login polling the mock ChatGPT issuer) is cancelled by ^C or ^D under a PTY, at the
// prompt and in exec mode, and by the client disconnecting (with or without a PTY); other keys wait
// as typeahead. A cancelled login stores nothing and stops polling: after the cancel the issuer
// sees at most the poll that was already in flight, where it would have seen two more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { commandAsserts } from '../helpers/commands.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { startExec, startPlainShell } from '../helpers/liveExec.js';
import { openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { KEYS } from '../helpers/terminal.js';

describe('interruptible commands over SSH', () => {
  let gh: TestGatehouse;
  let gpt: MockChatgpt;
  let alice: KeyPair;
  const { okJson } = commandAsserts(() => gh.sshPort);
  const polls = () => gpt.issuerRequests.filter((r) => r.path === '/api/accounts/deviceauth/token').length;

  /**
   * Waits until the login started after `codes` codes were handed out is polling (its code is out
   * and one poll was answered pending). Codes of cancelled logins stay pending at the mock.
   */
  async function polling(codes: number): Promise<string> {
    await gpt.waitFor(() => gpt.userCodes.length > codes);
    const seen = polls();
    await gpt.waitFor(() => polls() > seen);
    return gpt.userCodes[codes];
  }

  /** After a cancel: within 2.5 s (two and a half poll intervals) at most the poll in flight arrives. */
  async function stoppedPolling(atCancel: number): Promise<void> {
    await assert.rejects(gpt.waitFor(() => polls() > atCancel + 1, 2500), /condition not met/);
  }

  async function nothingStored(): Promise<void> {
    assert.deepEqual(await okJson(alice, 'integrations setup chatgpt --list'), []);
  }

  before(async () => {
    gpt = await startMockChatgpt();
    gh = await startTestGatehouse({ GATEHOUSE_CHATGPT_ISSUER: gpt.issuerUrl, GATEHOUSE_CHATGPT_BACKEND: gpt.backendUrl });
    alice = await signUp(gh.sshPort, 'alice');
  });
  let stopped = false;
  after(async () => {
    if (!stopped) await gh?.stop();
    await gpt?.close();
  });

  it('issue 13.1: ^C at the prompt cancels the login: "cancelled", the prompt comes back, nothing stored, polling stops', async () => {
    const term = await openShell(gh.sshPort, alice);
    try {
      await term.waitForPrompt();
      const codes = gpt.userCodes.length;
      term.type('integrations setup chatgpt --name work\r');
      await polling(codes);
      await term.waitFor(/Waiting for authorization\.\.\./);
      const atCancel = polls();
      term.type(KEYS.ctrlC);
      const screen = await term.waitFor(/\^C\n.*error: cancelled/);
      await term.waitForPrompt();
      assert.doesNotMatch(screen, /Connected/);
      await stoppedPolling(atCancel);
      // The session goes on as before.
      assert.match(await term.run('whoami\r'), /alice/);
    } finally {
      term.close();
    }
    await nothingStored();
  });

  it('issue 13: ^C is still seen after more than 64 K of keys typed ahead while the login waits (the extras are dropped)', async () => {
    const term = await openShell(gh.sshPort, alice);
    try {
      await term.waitForPrompt();
      const codes = gpt.userCodes.length;
      term.type('integrations setup chatgpt --name flood\r');
      await polling(codes);
      await term.waitFor(/Waiting for authorization\.\.\./);
      const atCancel = polls();
      term.type('a'.repeat(100 * 1024));
      term.type(KEYS.ctrlC);
      await term.waitFor(/\^C\n.*error: cancelled/, 10_000);
      await term.waitForPrompt();
      await stoppedPolling(atCancel);
      assert.match(await term.run('whoami\r'), /alice/);
    } finally {
      term.close();
    }
    await nothingStored();
  });

  it('issue 13: ^C during --verify stops at once and checks no further account; the refresh in flight still completes and is stored', async () => {
    const { ok } = commandAsserts(() => gh.sshPort);
    for (const [name, accountId] of [['v1', 'acct-v1'], ['v2', 'acct-v2']]) {
      const codes = gpt.userCodes.length;
      const run = await startExec(gh.sshPort, alice, `integrations setup chatgpt --name ${name}`, { eof: true });
      gpt.approve(await polling(codes), { email: `${name}@example.com`, plan: 'plus', accountId });
      await run.closed;
      run.client.end();
    }
    const term = await openShell(gh.sshPort, alice);
    try {
      await term.waitForPrompt();
      // Counted from the recorded requests: waitFor wakes when one arrives, not when refreshCount moves.
      const refreshes = () => gpt.issuerRequests.filter((r) => r.json?.grant_type === 'refresh_token').length;
      const before = refreshes();
      gpt.refreshDelayMs = 2000;
      term.type('integrations setup chatgpt --verify\r');
      await gpt.waitFor(() => refreshes() > before);
      term.type(KEYS.ctrlC);
      await term.waitFor(/\^C\n.*error: cancelled/, 1500); // before the issuer answers
      await term.waitForPrompt();
      // The answer comes at 2 s; had --verify gone on, the second account's refresh would follow it.
      await assert.rejects(gpt.waitFor(() => refreshes() > before + 1, 3000), /condition not met/);
    } finally {
      gpt.refreshDelayMs = 0;
      term.close();
    }
    // The rotated token of the refresh that was in flight was kept: both accounts still refresh.
    assert.match(await ok(alice, 'integrations setup chatgpt --verify'), /^v1\s+ok \(refreshed\)\nv2\s+ok \(refreshed\)$/m);
    await ok(alice, 'integrations setup chatgpt --name v1 --delete');
    await ok(alice, 'integrations setup chatgpt --name v2 --delete');
  });

  it('issue 13.1: keys typed while the login waits are kept for the prompt after it', async () => {
    const term = await openShell(gh.sshPort, alice);
    try {
      await term.waitForPrompt();
      const codes = gpt.userCodes.length;
      term.type('integrations setup chatgpt --name typed\r');
      const code = await polling(codes);
      term.type('whoami\r');
      gpt.approve(code, { email: 't@example.com', plan: 'plus', accountId: 'acct-typed' });
      await term.waitFor(/Connected ChatGPT account typed[\s\S]*gatehouse ▶ whoami\n[\s\S]*alice/);
    } finally {
      term.close();
    }
    const list = await okJson(alice, 'integrations setup chatgpt --list');
    assert.deepEqual(list.map((a: { name: string }) => a.name), ['typed']);
    await commandAsserts(() => gh.sshPort).ok(alice, 'integrations setup chatgpt --name typed --delete');
  });

  it('issue 13.1: closing the interactive session while the login waits cancels it', async () => {
    const term = await openShell(gh.sshPort, alice);
    await term.waitForPrompt();
    const codes = gpt.userCodes.length;
    term.type('integrations setup chatgpt --name gone\r');
    await polling(codes);
    const atCancel = polls();
    term.close();
    await stoppedPolling(atCancel);
    await nothingStored();
  });

  it('issue 13: a shell WITHOUT a PTY (ssh -T) that disconnects while the login waits cancels it: polling stops, approving then stores nothing', async () => {
    const codes = gpt.userCodes.length;
    const run = await startPlainShell(gh.sshPort, alice, 'integrations setup chatgpt --name nopty\n');
    const code = await polling(codes);
    await run.waitFor(/Waiting for authorization\.\.\./);
    const atCancel = polls();
    run.client.end();
    gpt.approve(code, { email: 'n@example.com', plan: 'plus', accountId: 'acct-nopty' });
    await stoppedPolling(atCancel);
    await nothingStored();
  });

  for (const key of [['^C', KEYS.ctrlC], ['^D', KEYS.ctrlD]] as const) {
    it(`issue 13.1: ${key[0]} in exec mode with a PTY (ssh -t) cancels: exit 1, nothing stored`, async () => {
      const codes = gpt.userCodes.length;
      const run = await startExec(gh.sshPort, alice, 'integrations setup chatgpt --name work', { pty: true });
      await polling(codes);
      await run.waitFor(/Waiting for authorization\.\.\./);
      const atCancel = polls();
      run.stream.write(key[1]);
      await run.closed;
      run.client.end();
      assert.equal(run.code, 1);
      assert.match(run.stdout.replace(/\x1b\[[0-9;]*m/g, ''), /\^C\r\nerror: cancelled\r\n$/);
      await stoppedPolling(atCancel);
      await nothingStored();
    });
  }

  for (const pty of [false, true]) {
    it(`issue 13.1: an ssh disconnect cancels an exec-mode login (${pty ? 'with' : 'without'} a PTY): the issuer sees no further polls`, async () => {
      const codes = gpt.userCodes.length;
      const run = await startExec(gh.sshPort, alice, 'integrations setup chatgpt --name work', { pty, eof: !pty });
      await polling(codes);
      const atCancel = polls();
      run.client.end(); // the connection goes, without closing the channel first
      await stoppedPolling(atCancel);
      await nothingStored();
    });
  }

  it('issue 13.1: in exec mode without a PTY, ^C typed into stdin is data, not a cancel (the client kills its connection instead)', async () => {
    const codes = gpt.userCodes.length;
    const run = await startExec(gh.sshPort, alice, 'integrations setup chatgpt --name piped');
    const code = await polling(codes);
    run.stream.write(KEYS.ctrlC);
    run.stream.end();
    gpt.approve(code, { email: 'x@example.com', plan: 'free', accountId: 'acct-piped' });
    await run.closed;
    run.client.end();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Connected ChatGPT account piped \(x@example\.com, plan free\)/);
  });

  // Last: it stops the gatehouse.
  it('issue 13.1: a server shutdown cancels a waiting login at once (stop does not wait out its drain time)', async () => {
    const codes = gpt.userCodes.length;
    const run = await startExec(gh.sshPort, alice, 'integrations setup chatgpt --name late', { eof: true });
    await polling(codes);
    // And a login at a prompt without a PTY (issue 13 review item 1): shutdown must cancel it too.
    const plain = await startPlainShell(gh.sshPort, alice, 'integrations setup chatgpt --name later\n');
    await polling(codes + 1);
    const atCancel = polls();
    const started = Date.now();
    stopped = true;
    await gh.stop();
    await run.closed;
    run.client.end();
    assert.ok(Date.now() - started < 4000, `stop took ${Date.now() - started} ms`);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /shutting down/);
    await plain.closed;
    plain.client.end();
    assert.match(plain.stdout, /shutting down/);
    await stoppedPolling(atCancel + 1); // two logins: up to one poll each in flight
  });
});
