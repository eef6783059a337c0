// ↑/↓ history of the interactive prompt: newest first, each line once, per user (loaded from the
// database by the session). Entries are snapshots of a LineBuffer, so showing one costs O(blocks)
// whatever its length, and a flood of ↑/↓ stays linear (issue 11.2). Past the oldest entry, and
// back below the newest, the line being typed before (the draft) comes back.
import { snapshotOf, type Snapshot } from './lineBuffer.js';

export class LineHistory {
  private entries: Snapshot[] = [];
  private index = -1;
  private draft: Snapshot | undefined;

  constructor(private readonly maxLine: number) {}

  /** Newest first; lines over the cap are left out (they could never have run). */
  load(lines: string[]): void {
    this.entries = lines.filter((l) => l.length <= this.maxLine).map((l) => snapshotOf(l));
  }

  /** Adds a line that ran (each line once; at most `limit` kept). */
  remember(text: string, limit: number): void {
    if (!text.trim() || text.length > this.maxLine) return;
    this.entries = this.entries.filter((s) => s.length !== text.length || s.blocks.join('') !== text);
    this.entries.unshift(snapshotOf(text));
    if (this.entries.length > limit) this.entries.length = limit;
  }

  /** A new line starts: back below the newest entry. */
  rewind(): void {
    this.index = -1;
    this.draft = undefined;
  }

  /** The next older entry (or the draft, past the oldest); undefined when there is none. */
  older(current: () => Snapshot): Snapshot | undefined {
    if (this.index >= this.entries.length) return undefined;
    if (this.index === -1) this.draft = current();
    return this.at(++this.index);
  }

  /** Whether `entry` is the line that was being typed (which may be over the cap), not a history entry. */
  isDraft(entry: Snapshot): boolean {
    return entry === this.draft;
  }

  newer(): Snapshot | undefined {
    if (this.index < 0) return undefined;
    return this.at(--this.index);
  }

  private at(index: number): Snapshot {
    return index >= 0 && index < this.entries.length ? this.entries[index] : this.draft!;
  }
}
