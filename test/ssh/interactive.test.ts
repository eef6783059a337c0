// The interactive prompt as a user sees it: a scripted PTY rendered by a real terminal emulator.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, newKey, openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { KEYS, type ScriptedTerminal } from '../helpers/terminal.js';

const { left, right, home, end, up, down, tab, ctrlA, ctrlC, ctrlD, ctrlE, ctrlK, ctrlU, ctrlW, backspace, pasteStart, pasteEnd } = KEYS;

describe('interactive prompt', () => {
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

  async function shell(key = alice, size?: { cols: number; rows: number }): Promise<ScriptedTerminal> {
    const term = await openShell(gh.sshPort, key, size);
    open.push(term);
    await term.waitForPrompt();
    return term;
  }

  it('shows the "gatehouse ▶" prompt with a bold cyan name and a white arrow', async () => {
    const term = await shell();
    assert.equal(term.currentLine(), 'gatehouse ▶');
    assert.match(term.screen(), /Welcome to gatehouse, alice/);
    assert.match(term.raw, /\x1b\[1m\x1b\[36mgatehouse\x1b\[39m\x1b\[22m \x1b\[37m▶\x1b\[39m /);
  });

  it('with NO_COLOR set, the prompt and output have no colors', async () => {
    const term = await openShell(gh.sshPort, alice, undefined, { NO_COLOR: '1' });
    open.push(term);
    await term.waitForPrompt();
    await term.run('whoami\r');
    assert.doesNotMatch(term.raw, /\x1b\[[0-9;]*m/);
  });

  it('edits the line with ←/→, Home/End and backspace, and runs what is shown', async () => {
    const term = await shell();
    term.type(`whami${left}${left}${left}o`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami');
    term.type(`${end} --jsonx${backspace}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --json');
    term.type(`${home}${right}${right}${right}${right}${right}${right} --help`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --help --json');
    const out = await term.run('\r');
    assert.match(out, /"command": "whoami"/);
  });

  it('^A and ^E jump to the start and end of the line, also when keys arrive in one packet', async () => {
    const term = await shell();
    term.type(`hoami${ctrlA}w${ctrlE} --json`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --json');
    assert.match(await term.run('\r'), /"name": "alice"/);
  });

  it('^K deletes to the end, ^U to the start, ^W the word before the cursor', async () => {
    const term = await shell();
    term.type(`whoami --json extra${left.repeat(6)}${ctrlK}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --json');
    term.type(ctrlU);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶');
    term.type(`whoami --json stray${ctrlW}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --json');
    const out = await term.run('\r');
    assert.match(out, /"name": "alice"/);
    assert.doesNotMatch(out, /error/);
  });

  it('runs lines typed before the prompt appeared, in order', async () => {
    const term = await openShell(gh.sshPort, alice);
    open.push(term);
    term.type('whoami --json\rls --json\r');
    const screen = await term.waitFor(/gatehouse ▶ ls --json\n\[\]\ngatehouse ▶$/);
    assert.match(screen, /gatehouse ▶ whoami --json\n\{\n {2}"name": "alice"/);
  });

  it('on EOF, runs the lines already typed, then says Goodbye! (ssh -tt host < file)', async () => {
    const term = await openShell(gh.sshPort, alice);
    open.push(term);
    term.type('whoami --json\rls --json\r');
    term.endInput();
    await term.waitClosed();
    const screen = term.screen();
    assert.match(screen, /"name": "alice"[\s\S]*gatehouse ▶ ls --json\n\[\]\n[\s\S]*Goodbye!$/);
    assert.equal(term.exitCode, 0);
  });

  it('prints JSON pretty in the prompt', async () => {
    const term = await shell();
    const out = await term.run('whoami --json\r');
    assert.match(out, /^\{\n {2}"name": "alice",\n {2}"email": "",\n {2}"admin": true,/m);
  });

  it('↑ and ↓ walk the history of this session', async () => {
    const term = await shell();
    await term.run('whoami --json\r');
    await term.run('ls --json\r');
    term.type(up);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ ls --json');
    term.type(up);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --json');
    term.type(down);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ ls --json');
    assert.equal((await term.run('\r')).trim(), 'ls --json\n[]');
  });

  it('keeps history across sessions, per user', async () => {
    const first = await shell(alice);
    await first.run('ls alice-history-marker\r');
    first.close();
    const second = await shell(alice);
    second.type(up);
    await second.waitFor(() => second.currentLine() === 'gatehouse ▶ ls alice-history-marker');
    // bob's history is his own: past his only line, ↑ comes back to the empty line, not to alice's.
    const bobFirst = await shell(bob);
    await bobFirst.run('ls bob-history-marker\r');
    bobFirst.close();
    const bobSecond = await shell(bob);
    bobSecond.type(up);
    await bobSecond.waitFor(() => bobSecond.currentLine() === 'gatehouse ▶ ls bob-history-marker');
    bobSecond.type(up);
    await bobSecond.waitFor(() => bobSecond.currentLine() === 'gatehouse ▶');
    assert.doesNotMatch(bobSecond.screen(), /alice/);
  });

  it('a line run twice appears once in the next session\'s history', async () => {
    const first = await shell(bob);
    for (const line of ['ls dup-a', 'ls dup-b', 'ls dup-a']) await first.run(line + '\r');
    first.close();
    const second = await shell(bob);
    for (const expected of ['ls dup-a', 'ls dup-b', 'ls bob-history-marker', '']) {
      second.type(up);
      await second.waitFor(() => second.currentLine() === `gatehouse ▶ ${expected}`.trimEnd());
    }
  });

  it('never stores a line carrying a secret, in this session or the next', async () => {
    const first = await shell(alice);
    await first.run('ls before-secret\r');
    const out = await first.run('ssh-key add --name x --foo-key=sk-abc123secret\r');
    assert.match(out, /unknown flag --foo-key/);
    first.type(up);
    await first.waitFor(() => first.currentLine() === 'gatehouse ▶ ls before-secret');
    first.close();
    const second = await shell(alice);
    second.type(up);
    await second.waitFor(() => second.currentLine() === 'gatehouse ▶ ls before-secret');
    // Storage invariant: the secret is nowhere in the database files.
    for (const file of fs.readdirSync(gh.dataDir).filter((f) => f.startsWith('gatehouse.db'))) {
      assert.ok(!fs.readFileSync(path.join(gh.dataDir, file)).includes('sk-abc123secret'), `secret found in ${file}`);
    }
  });

  it('never stores a line that matches the secret heuristic, even when the command accepts it', async () => {
    const first = await shell(alice);
    await first.run('ls before-heuristic\r');
    await first.run('ls token=hunter2-heuristic\r');
    first.close();
    const second = await shell(alice);
    second.type(up);
    await second.waitFor(() => second.currentLine() === 'gatehouse ▶ ls before-heuristic');
  });

  it('a command that reads input prompts for it on the terminal', async () => {
    const term = await shell();
    const laptop = newKey('prompted');
    term.type('ssh-key add --name prompted\r');
    await term.waitFor(/Public key:$/);
    assert.match(await term.run(laptop.public + '\r'), /Added SSH key prompted \(SHA256:/);
    assert.equal(JSON.parse((await exec(gh.sshPort, laptop, 'whoami --json')).stdout).name, 'alice');
  });

  it('a secret read on the terminal is not echoed, not kept in history and not stored in clear', async () => {
    const term = await shell();
    term.type('integrations add llm --name typed --anthropic=byok --anthropic-key=-\r');
    await term.waitFor(/Anthropic API key:$/);
    const out = await term.run('sk-ant-typed-secret-0123456789\r');
    assert.match(out, /Added integration typed/);
    assert.doesNotMatch(term.screen(), /sk-ant-typed/);
    term.type(up);
    await term.waitFor(() => term.currentLine() !== 'gatehouse ▶');
    assert.doesNotMatch(term.currentLine(), /sk-ant-typed/);
    for (const file of fs.readdirSync(gh.dataDir).filter((f) => f.startsWith('gatehouse.db'))) {
      assert.ok(!fs.readFileSync(path.join(gh.dataDir, file)).includes('sk-ant-typed'), `secret found in ${file}`);
    }
    assert.ok(!gh.logLines.some((l) => l.includes('sk-ant-typed')));
  });

  it('completes commands, subcommands and flags with Tab', async () => {
    const term = await shell();
    term.type(`who${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami');
    term.type(`${ctrlU}ssh-key ${tab}${tab}`);
    const listed = await term.waitFor(/add\s+list\s+remove\s+rename/);
    assert.match(listed, /add\s+list\s+remove\s+rename\s*\ngatehouse ▶ ssh-key/);
    term.type(`re${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ ssh-key re');
    term.type(`m${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ ssh-key remove');
    term.type(`${ctrlU}new --na${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ new --name');
  });

  it('completes integration names and attach targets', async () => {
    const term = await shell();
    term.type(`int${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ integrations');
    term.type(`ed${tab}ref${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ integrations edit reflection');
    term.type(`${ctrlU}integrations attach llm au${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ integrations attach llm auto:all');
  });

  it('offers admin commands only to admins', async () => {
    const admin = await shell(alice);
    admin.type(`adm${tab}`);
    await admin.waitFor(() => admin.currentLine() === 'gatehouse ▶ admin');
    const user = await shell(bob);
    // Keys are handled in order, so Enter runs whatever Tab left on the line.
    assert.match(await user.run(`adm${tab}\r`), /^adm\n.*command not found: "adm"/);
  });

  it('completes VM names', async () => {
    const term = await shell();
    assert.match(await term.run('new --name devbox --address 127.0.0.2\r'), /Created VM devbox at 127\.0\.0\.2/);
    term.type(`rm dev${tab}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ rm devbox');
    assert.match(await term.run('\r'), /Removed VM devbox/);
  });

  it('honours window-change: line editing follows the new width', async () => {
    const term = await shell(alice, { cols: 100, rows: 30 });
    term.resize(30, 30);
    // 40 characters after a 12-column prompt wrap at column 30; Home then must climb one row.
    const text = 'ls ' + 'a'.repeat(37);
    term.type(text);
    await term.waitFor((s) => s.endsWith('a'.repeat(30 - 15) + '\n' + 'a'.repeat(22)));
    term.type(`${home}X`);
    const screen = await term.waitFor(/gatehouse ▶ Xls a+\n/);
    assert.equal(screen.match(/gatehouse ▶/g)?.length, 1, `the line was redrawn in place:\n${screen}`);
    const lines = screen.split('\n');
    assert.equal(lines.at(-2), 'gatehouse ▶ Xls ' + 'a'.repeat(14));
    assert.equal(lines.at(-1), 'a'.repeat(23));
  });

  it('^C with text clears the line and shows a fresh prompt', async () => {
    const term = await shell();
    term.type('garbage');
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ garbage');
    term.type(ctrlC);
    await term.waitFor(/gatehouse ▶ garbage\^C\ngatehouse ▶$/);
    const out = await term.run('whoami --json\r');
    assert.match(out, /"name": "alice"/);
    assert.doesNotMatch(out, /command not found/);
    assert.equal(term.closed, false);
  });

  for (const [how, keys] of [
    ['^C on an empty line', ctrlC],
    ['^D on an empty line', ctrlD],
    ['exit', 'exit\r'],
  ] as const) {
    it(`${how} says Goodbye! and closes with status 0`, async () => {
      const term = await shell();
      term.type(keys);
      await term.waitClosed();
      assert.match(term.screen(), /Goodbye!$/);
      assert.equal(term.exitCode, 0);
    });
  }

  it('^D with text on the line does not close the session', async () => {
    const term = await shell();
    term.type(`whoamix --json${home}${right.repeat(6)}${ctrlD}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --json');
    assert.match(await term.run('\r'), /"name": "alice"/);
  });

  it('EOF with text on the prompt discards it: a half-typed or recalled line is never run', async () => {
    const typed = await shell();
    typed.type('new --name half-typed --address 127.0.0.9');
    await typed.waitFor(() => typed.currentLine() === 'gatehouse ▶ new --name half-typed --address 127.0.0.9');
    typed.endInput();
    await typed.waitClosed();
    assert.match(typed.screen(), /gatehouse ▶ new --name half-typed --address 127\.0\.0\.9\nGoodbye!$/);
    assert.equal(typed.exitCode, 0);
    const recalled = await shell();
    await recalled.run('whoami --json\r');
    recalled.type(up);
    await recalled.waitFor(() => recalled.currentLine() === 'gatehouse ▶ whoami --json');
    recalled.endInput();
    await recalled.waitClosed();
    assert.equal(recalled.screen().match(/"name": "alice"/g)?.length, 1, recalled.screen());
    assert.deepEqual(JSON.parse((await exec(gh.sshPort, alice, 'ls --json')).stdout), []);
  });

  for (const [how, keys, echo] of [
    ['^C after part of the key', 'sk-ant-half-typed' + ctrlC, '^C'],
    ['^C on the empty secret prompt', ctrlC, '^C'],
    ['^D on the empty secret prompt', ctrlD, ''],
  ] as const) {
    it(`${how} cancels a hidden secret prompt: nothing is created, the prompt comes back`, async () => {
      const term = await shell();
      const name = `cancel-${how.startsWith('^C') ? 'c' : 'd'}${keys.length}`;
      term.type(`integrations add llm --name ${name} --anthropic=byok --anthropic-key=-\r`);
      await term.waitFor(/Anthropic API key:$/);
      const out = await term.run(keys);
      assert.match(out, new RegExp(`\\nAnthropic API key:${echo && ' \\^C'}\\nerror: cancelled$`)); // trailing spaces trimmed
      assert.equal(term.currentLine(), 'gatehouse ▶', 'the next prompt starts empty');
      // ^_ (undo) must not bring back what was typed at the hidden prompt.
      const next = await term.run('\x1fintegrations list --json\r');
      assert.doesNotMatch(term.screen(), /sk-ant-half|command not found/);
      assert.ok(!(JSON.parse(next.replace(/^.*\n/, '')) as { name: string }[]).some((i) => i.name === name));
      assert.equal(term.closed, false);
    });
  }

  it('issue 11.2 editor: UTF-8 and wide characters edit in place, also where the line wraps', async () => {
    const term = await shell(alice, { cols: 20, rows: 30 });
    term.type(`ls 漢字é${left}${left}X`);
    await term.waitFor((s) => s.endsWith('gatehouse ▶ ls 漢X字\né')); // 21 columns: é wraps
    // 12 columns of prompt + "ls " + wide characters: the third one does not fit in column 19 and wraps whole.
    term.type(`${end}${ctrlU}ls 漢字漢`);
    await term.waitFor((s) => s.endsWith('gatehouse ▶ ls 漢字\n漢'));
    term.type(`${home}${right}${backspace}`);
    await term.waitFor((s) => s.endsWith('gatehouse ▶ s 漢字漢'));
    assert.match(await term.run(`${end}${ctrlU}whoami --json\r`), /"name": "alice"/);
  });

  it('issue 11.2 editor: ↓ past the newest history entry gives back the line being typed', async () => {
    const term = await shell();
    await term.run('ls --json\r');
    term.type(`whoami --js${up}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ ls --json');
    term.type(down);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --js');
    assert.match(await term.run('on\r'), /"name": "alice"/);
  });

  it('issue 11.2 editor: CR LF is one Enter, and lines typed in one packet run in order', async () => {
    const term = await shell();
    const before = term.screen().match(/gatehouse ▶/g)!.length;
    term.type('ls --json\r\nwhoami --json\r\n');
    const screen = await term.waitFor(/"name": "alice"[\s\S]*\ngatehouse ▶$/);
    assert.equal(screen.match(/gatehouse ▶/g)!.length, before + 2, screen);
  });

  it('issue 11.2 editor: a paste over 64 KiB is refused at Enter; the line after it runs', async () => {
    const term = await shell();
    term.type(`${pasteStart}${'p'.repeat(100_000)}${pasteEnd}`);
    const out = await term.run('\r', 20_000);
    assert.match(out, /error: line too long \(at most 64 KiB\); it was not run$/);
    assert.match(await term.run('whoami --json\r'), /"name": "alice"/);
  });

  it('bracketed paste lands on the line without running pasted newlines', async () => {
    const term = await shell();
    assert.ok(term.raw.includes('\x1b[?2004h'), 'bracketed paste mode is enabled');
    term.type(`${pasteStart}whoami\r${pasteEnd}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami');
    term.type(`${pasteStart}--json\r\nstray${pasteEnd}${ctrlW}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ whoami --json');
    const out = await term.run('\r');
    assert.match(out, /"name": "alice"/);
    assert.doesNotMatch(term.screen(), /command not found|error/);
  });

  it('pasted tabs and control characters are text, not keys', async () => {
    const term = await shell();
    term.type(`${pasteStart}who\tami${ctrlC}${ctrlD}${pasteEnd}`);
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ who ami');
    term.type(ctrlU);
    assert.match(await term.run('whoami --json\r'), /"name": "alice"/);
    assert.equal(term.closed, false);
  });
});

describe('exec mode', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh.stop());

  it('without a PTY: no escape codes, LF line ends, errors on stderr', async () => {
    const r = await exec(gh.sshPort, alice, 'whoami');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^name +alice \(admin\)\n/);
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b|\r/);
    const bad = await exec(gh.sshPort, alice, 'rm nosuchvm');
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^error: .*"nosuchvm" not found\n/);
    assert.doesNotMatch(bad.stderr, /\x1b/);
  });

  it('JSON is one compact line', async () => {
    const r = await exec(gh.sshPort, alice, 'whoami --json');
    assert.equal(r.stdout.split('\n').length, 2);
    assert.equal(JSON.parse(r.stdout).name, 'alice');
  });

  it('with a PTY: colors appear and line ends are CRLF', async () => {
    const r = await exec(gh.sshPort, alice, 'whoami', { pty: true });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\x1b\[1malice\x1b\[22m/);
    assert.match(r.stdout, /\r\n/);
    assert.doesNotMatch(r.stdout, /[^\r]\n/);
  });

  it('with a PTY, messages from the session layer end in CRLF too', async () => {
    const r = await exec(gh.sshPort, newKey(), 'whoami', { pty: true });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `Please complete registration by running: ssh -p ${gh.sshPort} localhost\r\n`);
  });

  it('with a PTY and NO_COLOR: no colors', async () => {
    const r = await exec(gh.sshPort, alice, 'whoami', { pty: true, env: { NO_COLOR: '1' } });
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /\x1b/);
  });

  it('ssh -t HOST … --anthropic-key=-: with a PTY a secret is a prompt, ended by Enter, not read to EOF', async () => {
    const secret = 'sk-ant-pty-secret-0123456789';
    const r = await exec(gh.sshPort, alice, 'integrations add llm --name pty-key --anthropic=byok --anthropic-key=-', { pty: true, stdin: `${secret}\r`, eof: false, env: { NO_COLOR: '1' } });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^Anthropic API key: \r\nAdded integration pty-key\r\n/);
    assert.ok(!(r.stdout + r.stderr).includes(secret), 'the secret is not echoed');
    const list = JSON.parse((await exec(gh.sshPort, alice, 'integrations list --json')).stdout) as { name: string; providers: Record<string, unknown> }[];
    assert.deepEqual(list.find((i) => i.name === 'pty-key')?.providers.anthropic, { source: 'byok', key: 'set' });
  });

  it('ssh -t HOST … --anthropic-key=-: ^C cancels (exit 1), ^D on an empty line is EOF; nothing is created', async () => {
    const cancelled = await exec(gh.sshPort, alice, 'integrations add llm --name pty-cancel --anthropic=byok --anthropic-key=-', { pty: true, stdin: 'sk-ant-half\x03', eof: false });
    assert.equal(cancelled.code, 1);
    assert.match(cancelled.stdout, /^Anthropic API key: \^C\r\n.*error: .*cancelled/s);
    assert.doesNotMatch(cancelled.stdout, /sk-ant-half/);
    const eof = await exec(gh.sshPort, alice, 'ssh-key add --name pty-eof', { pty: true, stdin: '\x04', eof: false });
    assert.equal(eof.code, 2);
    assert.match(eof.stdout, /^Public key: \r\n.*error: .*no key given/s);
    assert.doesNotMatch((await exec(gh.sshPort, alice, 'integrations list')).stdout, /pty-cancel/);
  });

  it('with a PTY, a public key typed at the prompt is echoed and ends at Enter', async () => {
    const laptop = newKey('pty-laptop');
    const r = await exec(gh.sshPort, alice, 'ssh-key add --name pty-typed', { pty: true, stdin: laptop.public + '\r', eof: false });
    assert.equal(r.code, 0, r.stdout);
    assert.ok(r.stdout.startsWith(`Public key: ${laptop.public}\r\n`), r.stdout);
    assert.match(r.stdout, /Added SSH key pty-typed \(SHA256:/);
  });

  it('reads stdin to EOF: ssh-key add takes the key from stdin', async () => {
    const laptop = newKey('second-laptop');
    const r = await exec(gh.sshPort, alice, 'ssh-key add --name second', { stdin: laptop.public + '\n' });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Added SSH key second \(SHA256:/);
    const who = JSON.parse((await exec(gh.sshPort, laptop, 'whoami --json')).stdout);
    assert.equal(who.name, 'alice');
  });
});
