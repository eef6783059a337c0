// Per-session output: the one place that knows about colors and JSON. Colors only when a PTY
// was requested and NO_COLOR is unset; never under --json. Line-ending quirks live in the SSH layer.
// `failure` is the shell's one rendering of a refusal (the gateway's handler is the other door).
import { Chalk, type ChalkInstance } from 'chalk';
import type { GatehouseError } from '../errors.js';

export type Sink = (stream: 'stdout' | 'stderr', text: string) => void;

export class Output {
  readonly c: ChalkInstance;
  /** Pretty JSON in the interactive prompt, one compact line in exec mode. */
  private readonly prettyJson: boolean;

  constructor(
    private readonly sink: Sink,
    options: { color: boolean; prettyJson: boolean },
  ) {
    this.c = new Chalk({ level: options.color ? 3 : 0 });
    this.prettyJson = options.prettyJson;
  }

  /** A copy that never colors: used for --json runs. */
  plain(): Output {
    return new Output(this.sink, { color: false, prettyJson: this.prettyJson });
  }

  line(text = ''): void {
    this.sink('stdout', text + '\n');
  }

  write(text: string): void {
    this.sink('stdout', text);
  }

  /** Text for the person, not for a program reading stdout (instructions printed under --json). */
  note(text: string): void {
    this.sink('stderr', text + '\n');
  }

  warn(text: string): void {
    this.sink('stderr', this.c.yellow(`warning: ${text}`) + '\n');
  }

  /** Messages may echo what the user typed: unprintable characters are escaped here, at the choke point. */
  error(message: string, hint?: string): void {
    this.sink('stderr', this.c.red(`error: ${escapeUnprintable(message)}`) + '\n');
    if (hint) this.sink('stderr', this.c.dim(escapeUnprintable(hint)) + '\n');
  }

  /** A refusal: `error: message` and its hint, or under --json one object with the stable code. */
  failure(err: GatehouseError, json = false): void {
    if (json) this.plain().json({ error: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
    else this.error(err.message, err.hint);
  }

  /** JSON.stringify leaves DEL, C1 controls and bidi overrides raw; \u-escape them (same JSON value). */
  json(value: unknown): void {
    const text = this.prettyJson ? JSON.stringify(value, null, 2) : JSON.stringify(value);
    this.sink('stdout', escapeUnprintable(text) + '\n');
  }

  /** Aligned columns, two spaces apart, no borders. Widths ignore ANSI codes. */
  table(rows: string[][], header?: string[]): void {
    const all = header ? [header.map((h) => this.c.bold(h)), ...rows] : rows;
    const widths: number[] = [];
    for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
    for (const row of all) {
      const cells = row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell))));
      this.line(cells.join('  ').trimEnd());
    }
  }
}

// C0/C1 controls except newline, line separators, bidi overrides and isolates.
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A word the user typed, as an error may quote it: escaped and at most `max` characters. */
export function shown(text: string, max = 64): string {
  const chars = [...text];
  return escapeUnprintable(chars.length > max ? chars.slice(0, max).join('') + '…' : text);
}

const ANSI = /\x1b\[[0-9;]*m/g;
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}
