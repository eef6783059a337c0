// parseArgs: the shortcut for a command given no words must answer as yargs-parser does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commands } from '../../src/commands/index.js';
import { parseArgs } from '../../src/shell/parseArgs.js';

/** The parse, or the error's message: a command with a required argument refuses no words. */
function outcome(run: () => unknown): unknown {
  try {
    return run();
  } catch (err) {
    return `threw: ${(err as Error).message}`;
  }
}

describe('parseArgs', () => {
  it('issue 18: no words parse as yargs-parser parses them, for every command', () => {
    for (const def of commands) {
      // `--` alone ends the flags and adds no word: it goes through yargs-parser, not the shortcut.
      assert.deepEqual(outcome(() => parseArgs(def, [])), outcome(() => parseArgs(def, ['--'])), def.path.join(' '));
    }
  });
});
