// Splits a command line into words with POSIX-shell quoting: '…', "…" (\ escapes " \ $ `) and
// \ outside quotes. The shell runs no programs, so `$X`, globs and backticks stay literal and
// operators (| & ; < > ( ) and newline) are refused, never interpreted. `#` starts a comment only
// at the start of a word, as in sh: shell-quote also cut words like `issue#2`, losing text silently.
import { GatehouseError } from '../errors.js';

const OPERATOR = /^(\|\||&&|;;|>>|<<|\|&|[|&;<>()\n])/;

export function tokenize(line: string): string[] {
  if (line.length > 65_536) throw new GatehouseError('usage', 'command line is too long (at most 64 KiB)');
  const words: string[] = [];
  let word = '';
  let inWord = false; // distinguishes an empty quoted word ("") from no word
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      if (inWord) words.push(word), (word = ''), (inWord = false);
    } else if (ch === '#' && !inWord) {
      break;
    } else if (ch === "'") {
      const end = closing(line, i, "'");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      const end = closing(line, i, '"');
      word += line.slice(i + 1, end).replace(/\\([\\"$`])/g, '$1');
      inWord = true;
      i = end;
    } else if (ch === '\\') {
      word += line[i + 1] ?? '\\';
      inWord = true;
      i++;
    } else if (OPERATOR.test(line.slice(i, i + 2))) {
      const op = OPERATOR.exec(line.slice(i, i + 2))![1];
      throw new GatehouseError('usage', `shell operator "${op === '\n' ? '\\n' : op}" is not supported`, { hint: 'quote the argument if you meant it literally; run one command per line' });
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Index of the quote that closes the one at `start`; in "…", a backslash escapes the next character. */
function closing(line: string, start: number, quote: string): number {
  for (let i = start + 1; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i++;
    else if (line[i] === quote) return i;
  }
  throw new GatehouseError('usage', `unterminated ${quote === "'" ? 'single' : 'double'} quote`, { hint: `close it with ${quote}` });
}
