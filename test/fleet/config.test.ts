// Issue 12.2: GATEHOUSE_CHANGE_CHECK_MS, how often an instance on PostgreSQL checks for a change
// whose notification it missed: a positive number of milliseconds, at most an hour.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, SETTINGS } from '../../src/config.js';
import { tempDir } from '../helpers/gatehouse.js';

describe('issue 12.2: GATEHOUSE_CHANGE_CHECK_MS', () => {
  const dir = tempDir();

  it('defaults to one second, takes a positive whole number, and is documented in serve --help', () => {
    assert.equal(loadConfig({ GATEHOUSE_DATA_DIR: dir }).changeCheckMs, 1000);
    assert.equal(loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_CHANGE_CHECK_MS: '250' }).changeCheckMs, 250);
    const setting = SETTINGS.find((s) => s.env === 'GATEHOUSE_CHANGE_CHECK_MS');
    assert.equal(setting?.default, '1000');
    assert.equal(setting?.flag, 'change-check-ms');
  });

  it('refuses zero, negatives, fractions, words and more than an hour (a timer cannot wait that long safely)', () => {
    for (const value of ['0', '-5', '1.5', 'soon', '3600001', '99999999999']) {
      assert.throws(() => loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_CHANGE_CHECK_MS: value }), /GATEHOUSE_CHANGE_CHECK_MS/, JSON.stringify(value));
    }
  });
});
