// The contract between the shell and the commands: a command declares itself, the shell
// derives parsing, help, completion and error rendering from that declaration.
import type { Config } from '../config.js';
import type { Services } from '../core/services.js';
import type { Db } from '../db/open.js';
import type { User } from '../db/schema.js';
import type { Output } from './output.js';

export interface OptionSpec {
  type: 'string' | 'boolean' | 'array';
  describe: string;
  alias?: string;
  /** Placeholder shown in help, e.g. NAME. */
  value?: string;
  /** Values of this option are secrets: a line carrying one never enters history. */
  secret?: boolean;
  complete?: Completer;
}

export interface ArgSpec {
  name: string; // shown in usage, e.g. VM
  variadic?: boolean;
  optional?: boolean;
  complete?: Completer;
}

export type Completer = (ctx: CommandContext) => Promise<string[]>;

/** How a command reads input beyond its command line (a key pasted on stdin, a secret). */
export interface InputSource {
  /**
   * Exec mode without a PTY: all of stdin to EOF, trimmed. Interactive, or exec with a PTY: a
   * prompt showing `label`, ended by Enter, which does not echo what is typed when `secret` is
   * set. Rejects with a "cancelled" error on ^C, or when the session ends before an answer.
   */
  read(label: string, options: { secret: boolean }): Promise<string>;
  /**
   * Runs long work (waiting on a remote party) that the user may give up on: the signal aborts on
   * ^C or ^D under a PTY (other keys wait as typeahead), when the client disconnects, and when the
   * server shuts down. Stdin EOF is not a cancel (`ssh host cmd </dev/null` sends it at once).
   * Once aborted, rejects with a "cancelled" error whatever `work` does with the signal.
   */
  interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/** Where a command came from: the key that signed in and the client's address. */
export interface Origin {
  /** SHA256 fingerprint of the SSH key this session authenticated with. */
  fingerprint: string;
  address: string | null;
}

/**
 * What a command adds to its audit row while it runs. Only constant text the command builds
 * (`anthropic key replaced`, `attached vm:devbox`): never a value the user gave for a secret.
 */
export interface AuditNotes {
  note(text: string): void;
  /** The object acted on, when only the run knows it (a generated VM name). */
  target(text: string): void;
  /** Whose account the command changed, when not the caller's own (admin commands). */
  subject(userId: number): void;
}

export interface CommandContext {
  db: Db;
  config: Readonly<Config>;
  user: User;
  /** Id of the SSH key this session authenticated with. */
  keyId: number;
  out: Output;
  input: InputSource;
  services: Services;
  interactive: boolean;
  /** The terminal's width when a PTY reported one (charts fit it); undefined without a PTY. */
  columns?(): number;
  origin: Origin;
  audit: AuditNotes;
}

export interface ParsedArgs {
  _: string[];
  json: boolean;
  [flag: string]: unknown;
}

/**
 * How runLine audits a command. 'read': changes nothing, not recorded. 'admin-read': an admin
 * command that changes nothing, recorded anyway (who looked at what). An AuditSpec: a change,
 * recorded with its outcome; `target` reads positional words only (names), never flag values.
 */
export type AuditKind = 'read' | 'admin-read' | AuditSpec;

export interface AuditSpec {
  target?(words: string[]): string | undefined;
  /** This invocation only reads (`integrations setup chatgpt --list`): not recorded. */
  readOnly?(args: ParsedArgs): boolean;
}

/** What the shell derives help, parsing and completion from; the operator CLI declares the same. */
export interface CommandShape {
  path: string[];
  /** Extra names for the last path word, e.g. ls for list. */
  aliases?: string[];
  summary: string;
  args?: ArgSpec[];
  options?: Record<string, OptionSpec>;
  examples?: string[];
  /** Whether the command is listed only for admins (and refused to others). */
  adminOnly?: boolean;
}

export interface CommandDef extends CommandShape {
  /** Required: every command decides whether it is audited. */
  audit: AuditKind;
  run(ctx: CommandContext, args: ParsedArgs): Promise<number | void>;
}

/** A group word such as "ssh-key" whose subcommands are separate CommandDefs. */
export interface GroupDef {
  name: string;
  aliases?: string[];
  summary: string;
  /** The subcommand the group word alone runs (`team` is `team members`, as on exe.dev); else it shows the group's help. */
  default?: string;
}
