// Per-session output: the one place that knows about colors and JSON. Colors only when a PTY
// was requested and NO_COLOR is unset; never under --json. Line-ending quirks live in the SSH layer.
import { Chalk, type ChalkInstance } from 'chalk';

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

  warn(text: string): void {
    this.sink('stderr', this.c.yellow(`warning: ${text}`) + '\n');
  }

  error(message: string, hint?: string): void {
    this.sink('stderr', this.c.red(`error: ${message}`) + '\n');
    if (hint) this.sink('stderr', this.c.dim(hint) + '\n');
  }

  json(value: unknown): void {
    this.sink('stdout', (this.prettyJson ? JSON.stringify(value, null, 2) : JSON.stringify(value)) + '\n');
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

const ANSI = /\x1b\[[0-9;]*m/g;
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}
