// The interactive prompt: our line editor (lineReader.ts) on the SSH channel, with sign-up,
// questions, secrets that do not echo, ^C handling, bracketed paste and per-user history kept in
// the database. Without a PTY (`ssh -T`) the same loop reads plain lines.
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
import { UNUSED_NOTES } from '../shell/commandRecord.js';
import { runLine } from '../shell/run.js';
import type { CommandContext } from '../shell/types.js';
import { DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE } from './bracketedPaste.js';
import { TerminalOutput } from './channel.js';
import { interruptible, watchSignal } from './interrupt.js';
import { LineReader } from './lineReader.js';
import type { SshDeps } from './deps.js';
import type { PtyInfo, SessionIdentity } from './session.js';
import { strangerMessage } from './session.js';

export interface InteractiveSession {
  resize(cols: number, rows: number): void;
  close(reason: string): void;
  /** Settles when the session's work is over (after close, once a running command has finished). */
  done: Promise<void>;
}

export function runInteractive(deps: SshDeps, identity: SessionIdentity, channel: ServerChannel, pty: PtyInfo | undefined, color: boolean, gone: AbortSignal): InteractiveSession {
  const term = new TerminalOutput(channel, pty?.cols ?? 80, pty?.rows ?? 24, Boolean(pty));
  const out = new Output((_stream, text) => term.write(text), { color, prettyJson: true });
  const reader = new LineReader(channel, term, Boolean(pty));
  const refuse = (err: ReturnType<typeof asPublicError>) => out.failure(err);

  let closed = false;
  // Cancels a command's interruptible work when the session ends, however it ends (issue 13 review
  // item 1): without a PTY the reader watches no key, so this is the only thing that stops a login
  // waiting for the user who left (or for a server that is stopping).
  const ended = new AbortController();
  const close = (message: string, status = 0) => {
    if (closed) return;
    closed = true;
    ended.abort('the session ended');
    reader.close();
    if (pty) term.write(DISABLE_BRACKETED_PASTE);
    if (message) term.write(message + '\n');
    if (!channel.destroyed && channel.writable) {
      channel.exit(status);
      channel.end();
    }
  };

  channel.on('error', () => close(''));
  channel.once('close', () => close('')); // the client left: end the pending read
  // The channel closes only once its input is read, which stops while a command runs: the session says so at once.
  gone.addEventListener('abort', () => close(''), { once: true });
  if (pty) term.write(ENABLE_BRACKETED_PASTE);

  const done = start().catch((err) => {
    deps.log.error('interactive session failed', err);
    if (!closed) out.failure(asPublicError(err));
    close('', 1);
  });

  async function start(): Promise<void> {
    const user = identity.account ? await findUserById(deps.db, identity.account.userId) : await signUp();
    if (!user || closed) return;
    const keyId = identity.account?.keyId ?? (await findKeyByFingerprint(deps.db, identity.fingerprint))!.id;
    const input = { read: (label: string, o: { secret: boolean }) => reader.ask(label, o.secret), interruptible: <T>(work: (signal: AbortSignal) => Promise<T>) => interruptible(work, watchSignal(ended.signal), reader.interrupts()) };
    const origin = { fingerprint: identity.fingerprint, address: identity.address };
    const ctx: CommandContext = { db: deps.db, config: deps.config, user, keyId, out, input, services: deps.services, interactive: true, ...(pty ? { columns: () => term.columns } : {}), origin, audit: UNUSED_NOTES };
    // Newest first, each line once.
    reader.editor?.history.load([...new Set(await loadHistory(deps.db, user.id))]);
    out.line(`Welcome to gatehouse, ${out.c.bold(user.name)}. Type ${out.c.cyan('help')} for commands, ${out.c.cyan('exit')} to leave.`);
    reader.complete = (line) => complete(deps.registry, ctx, line);
    const prompt = `${out.c.bold.cyan('gatehouse')} ${out.c.white('▶')} `;
    for (;;) {
      const line = await reader.next(prompt, refuse);
      if (line === undefined) return close('Goodbye!');
      if (await handleLine(ctx, line)) return close('Goodbye!');
      if (closed) return;
    }
  }

  /** Runs one line; true when the user asked to leave. */
  async function handleLine(ctx: CommandContext, line: string): Promise<boolean> {
    const result = await runLine(deps.registry, ctx, line, deps.log);
    if (line.trim() && !result.secret) {
      reader.editor?.history.remember(line, HISTORY_LIMIT);
      await appendHistory(deps.db, ctx.user.id, line).catch((err) => deps.log.error('saving history failed', err));
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
      const name = await reader.next('Choose a user name: ', refuse);
      const email = name === undefined ? undefined : await reader.next('Email (optional, Enter to skip): ', refuse);
      if (email === undefined) return void close('Goodbye!', 1); // EOF or disconnect mid-sign-up
      try {
        const user = await createAccount(deps.db, { name: name!.trim(), email: email.trim() || null, key: parsePublicKey(identity.publicKeyText) });
        identity.signedUp?.(); // the connection now counts as logged in (no sign-up deadline)
        await deps.services.audit.record({ via: 'ssh', actorUserId: user.id, actorName: user.name, fingerprint: identity.fingerprint, address: identity.address, action: 'signup', target: `user ${user.name}`, detail: user.is_admin ? 'first account: admin' : undefined, outcome: 'ok' });
        out.line(`Account ${out.c.bold(user.name)} created${user.is_admin ? ' (admin: first account of this installation)' : ''}.`);
        return user;
      } catch (err) {
        const pub = asPublicError(err);
        if (pub.code === 'internal') deps.log.error('sign-up failed', err);
        out.failure(pub);
      }
    }
    close('Too many attempts; connect again to retry.', 1);
    return undefined;
  }

  return {
    resize: (cols, rows) => {
      term.resize(cols, rows);
      reader.resize();
    },
    close: (reason) => close(`\n${reason}`),
    done,
  };
}
