// A scripted terminal: types keys into an interactive SSH session and renders the output with a
// real terminal emulator (@xterm/headless), so tests read back exactly what a user would see.
import xterm from '@xterm/headless';
import type ssh2 from 'ssh2';

const { Terminal } = xterm;

export const KEYS = {
  enter: '\r',
  tab: '\t',
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  home: '\x1b[H',
  end: '\x1b[F',
  ctrlA: '\x01',
  ctrlC: '\x03',
  ctrlD: '\x04',
  ctrlE: '\x05',
  ctrlK: '\x0b',
  ctrlU: '\x15',
  ctrlW: '\x17',
  backspace: '\x7f',
  pasteStart: '\x1b[200~',
  pasteEnd: '\x1b[201~',
};

export const PROMPT = 'gatehouse ▶ ';
const PROMPT_PATTERN = /gatehouse ▶/g;

function countPrompts(screen: string): number {
  return (screen.match(PROMPT_PATTERN) ?? []).length;
}

export class ScriptedTerminal {
  private readonly term: InstanceType<typeof Terminal>;
  /** Everything received, raw (escape sequences included). */
  raw = '';
  closed = false;
  exitCode: number | null = null;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly client: ssh2.Client,
    private readonly stream: ssh2.ClientChannel,
    size: { cols: number; rows: number },
  ) {
    this.term = new Terminal({ cols: size.cols, rows: size.rows, allowProposedApi: true, scrollback: 1000 });
    stream.on('data', (d: Buffer) => {
      const text = d.toString();
      this.raw += text;
      this.term.write(text, () => this.wake());
    });
    stream.on('exit', (code: number | null) => (this.exitCode = code));
    // Mark closed only after the emulator has rendered everything received before the close.
    stream.on('close', () =>
      this.term.write('', () => {
        this.closed = true;
        this.wake();
      }),
    );
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  type(keys: string): void {
    this.stream.write(keys);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
    this.stream.setWindow(rows, cols, 0, 0);
  }

  /** The rendered screen (scrollback included), trailing spaces trimmed. */
  screen(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    // translateToString(true) trims only never-written cells; written spaces (the prompt's) stay, so trimEnd too.
    for (let i = 0; i < buffer.length; i++) lines.push((buffer.getLine(i)?.translateToString(true) ?? '').trimEnd());
    return lines.join('\n').replace(/\n+$/, '');
  }

  /** The line the cursor is on, trailing spaces trimmed. */
  currentLine(): string {
    const buffer = this.term.buffer.active;
    return (buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true) ?? '').trimEnd();
  }

  /** Waits until the rendered screen matches, or fails after the deadline with the screen shown. */
  async waitFor(pattern: RegExp | ((screen: string) => boolean), deadlineMs = 5000): Promise<string> {
    const test = typeof pattern === 'function' ? pattern : (s: string) => pattern.test(s);
    const until = Date.now() + deadlineMs;
    for (;;) {
      const screen = this.screen();
      if (test(screen)) return screen;
      if (this.closed) throw new Error(`session closed before ${pattern}; screen:\n${screen}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`deadline waiting for ${pattern}; screen:\n${screen}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the next prompt after the given count of prompts have been drawn. */
  async waitForPromptCount(count: number, deadlineMs = 5000): Promise<string> {
    return this.waitFor((s) => countPrompts(s) >= count, deadlineMs);
  }

  /** Waits until the cursor sits on an empty prompt. */
  async waitForPrompt(deadlineMs = 5000): Promise<string> {
    return this.waitFor(() => this.currentLine() === PROMPT.trimEnd(), deadlineMs);
  }

  /**
   * Types keys that end a command line and waits for the next prompt; returns what was shown in
   * between: the rest of the command line, then the command's output.
   */
  async run(keys: string, deadlineMs = 5000): Promise<string> {
    const before = countPrompts(this.screen());
    this.type(keys);
    const screen = await this.waitFor((s) => countPrompts(s) > before && this.currentLine().startsWith(PROMPT.trimEnd()), deadlineMs);
    const parts = screen.split(PROMPT_PATTERN);
    return parts.slice(before, -1).join('').replace(/^ /, '').replace(/\n$/, '');
  }

  async waitClosed(deadlineMs = 5000): Promise<void> {
    await this.waitFor(() => this.closed, deadlineMs).catch((err) => {
      if (!this.closed) throw err;
    });
  }

  /** Sends EOF on the session's input (as `ssh -tt host < file` does at the file's end). */
  endInput(): void {
    this.stream.end();
  }

  close(): void {
    this.stream.end();
    this.client.end();
  }
}
