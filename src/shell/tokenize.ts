// Splits a command line into words with POSIX-shell quoting (shell-quote), keeping `$X` and
// globs literal: the shell runs no programs, so operators like | and > are refused, not interpreted.
import { parse } from 'shell-quote';
import { GatehouseError } from '../errors.js';

export function tokenize(line: string): string[] {
  if (line.length > 65_536) throw new GatehouseError('usage', 'command line is too long (at most 64 KiB)');
  const words: string[] = [];
  for (const entry of parse(line, (name) => `$${name}`)) {
    if (typeof entry === 'string') words.push(entry);
    else if ('comment' in entry) break;
    else if (entry.op === 'glob') words.push(entry.pattern);
    else throw new GatehouseError('usage', `shell operator "${entry.op}" is not supported`, { hint: 'quote the argument if you meant it literally' });
  }
  return words;
}
