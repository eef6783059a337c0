// The interactive prompt: node:readline on the SSH channel gives line editing (arrows, Home/End,
// ^A ^E ^K ^U ^W), history and Tab completion; this file adds sign-up, secrets that do not echo,
// ^C handling, bracketed paste and per-user history kept in the database.
import readline from 'node:readline';
import type { ServerChannel } from 'ssh2';
import { createAccount } from '../core/accounts.js';
import { parsePublicKey } from '../core/publicKey.js';
import { appendHistory, loadHistory, HISTORY_LIMIT } from '../db/history.js';
import { findKeyByFingerprint } from '../db/sshKeys.js';
import { findUserById } from '../db/users.js';
import type { User } from '../db/schema.js';
import { asPublicError } from '../errors.js';
import { complete } from '../shell/complete.js';
import { Output } from '../shell/output.js';
import { runLine } from '../shell/run.js';
import type { CommandContext } from '../shell/types.js';
import type { Identity } from './auth.js';
import { BracketedPaste, DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE } from './bracketedPaste.js';
import { TerminalOutput } from './channel.js';
import { forget, LineReader } from './lineReader.js';
import type { SshDeps } from './deps.js';
import type { PtyInfo } from './session.js';
import { strangerMessage } from './session.js';

export interface InteractiveSession {
  resize(cols: number, rows: number): void;
  close(reason: string): void;
  /** Settles when the session's work is over (after close, once a running command has finished). */
  done: Promise<void>;
}

export function runInteractive(deps: SshDeps, identity: Identity, channel: ServerChannel, pty: PtyInfo | undefined, color: boolean): InteractiveSession {
  const term = new TerminalOutput(channel, pty?.cols ?? 80, pty?.rows ?? 24, Boolean(pty));
  const out = new Output((_stream, text) => term.write(text), { color, prettyJson: true });
  const input = new BracketedPaste();
  channel.pipe(input);
  const rl = readline.createInterface({
    input,
    output: term,
    terminal: Boolean(pty),
    historySize: HISTORY_LIMIT,
    removeHistoryDuplicates: true,
    tabSize: 2,
  });
  const reader = new LineReader(rl, input, term);
  rl.on('SIGINT', () => {
    if (rl.line === '') return close('Goodbye!');
    term.write('^C\n');
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    rl.prompt();
  });

  let closed = false;
  const close = (message: string, status = 0) => {
    if (closed) return;
    closed = true;
    term.muted = false;
    if (pty) term.write(DISABLE_BRACKETED_PASTE);
    if (message) term.write(message + '\n');
    reader.close();
    rl.close();
    if (!channel.destroyed && channel.writable) {
      channel.exit(status);
      channel.end();
    }
  };

  channel.on('error', () => close(''));
  channel.once('close', () => close('')); // the client left: release readline
  if (pty) term.write(ENABLE_BRACKETED_PASTE);

  const done = start().catch((err) => {
    deps.log.error('interactive session failed', err);
    close('error: internal error; the operator can find details in the server log', 1);
  });

  async function start(): Promise<void> {
    const user = identity.account ? await findUserById(deps.db, identity.account.userId) : await signUp();
    if (!user || closed) return;
    const keyId = identity.account?.keyId ?? (await findKeyByFingerprint(deps.db, identity.fingerprint))!.id;
    const ctx: CommandContext = { db: deps.db, config: deps.config, user, keyId, out, input: { read: (label, o) => reader.ask(label, o.secret) }, changes: deps.changes, services: deps.services, interactive: true };
    // Newest first, each line once (as removeHistoryDuplicates keeps it within a session).
    (rl as unknown as { history: string[] }).history = [...new Set(await loadHistory(deps.db, user.id))];
    out.line(`Welcome to gatehouse, ${out.c.bold(user.name)}. Type ${out.c.cyan('help')} for commands, ${out.c.cyan('exit')} to leave.`);
    installCompleter(rl, (line) => complete(deps.registry, ctx, line));
    const prompt = `${out.c.bold.cyan('gatehouse')} ${out.c.white('▶')} `;
    for (;;) {
      const line = await reader.next(prompt);
      if (line === undefined) return close('Goodbye!');
      if (await handleLine(ctx, line)) return close('Goodbye!');
      if (closed) return;
    }
  }

  /** Runs one line; true when the user asked to leave. */
  async function handleLine(ctx: CommandContext, line: string): Promise<boolean> {
    const result = await runLine(deps.registry, ctx, line, (m, e) => deps.log.error(m, e));
    if (line.trim()) {
      if (result.secret) forget(rl, line);
      else await appendHistory(deps.db, ctx.user.id, line).catch((err) => deps.log.error('saving history failed', err));
    }
    return result.exit;
  }

  async function signUp(): Promise<User | undefined> {
    if (deps.config.signup !== 'open') {
      close(strangerMessage(deps), 1);
      return undefined;
    }
    out.line(`Welcome! This SSH key (${identity.fingerprint}) is not registered yet. Let's create your account.`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const name = await reader.next('Choose a user name: ');
      const email = name === undefined ? undefined : await reader.next('Email (optional, Enter to skip): ');
      if (email === undefined) return void close('Goodbye!', 1); // EOF or disconnect mid-sign-up
      try {
        const user = await createAccount(deps.db, { name: name!.trim(), email: email.trim() || null, key: parsePublicKey(identity.publicKeyText) });
        deps.changes.emit('users');
        out.line(`Account ${out.c.bold(user.name)} created${user.is_admin ? ' (admin: first account of this installation)' : ''}.`);
        return user;
      } catch (err) {
        const pub = asPublicError(err);
        if (pub.code === 'internal') deps.log.error('sign-up failed', err);
        out.error(pub.message, pub.hint);
      }
    }
    close('Too many attempts; connect again to retry.', 1);
    return undefined;
  }

  return {
    resize: (cols, rows) => term.resize(cols, rows),
    close: (reason) => close(`\n${reason}`),
    done,
  };
}

/**
 * readline takes its completer at construction, but we only know the user after sign-up, so set
 * it here, in the (line, callback) form that readline calls internally.
 */
function installCompleter(rl: readline.Interface, fn: (line: string) => Promise<[string[], string]>): void {
  (rl as unknown as { completer: unknown }).completer = (line: string, cb: (err: null, result: [string[], string]) => void) => {
    fn(line).then(
      (r) => cb(null, r),
      () => cb(null, [[], line]),
    );
  };
}
