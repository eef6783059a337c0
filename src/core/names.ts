// Naming rules shared by commands and the operator CLI (DESIGN.md §2).
import { GatehouseError } from '../errors.js';

const VM_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const TAG = /^[a-z][a-z0-9_-]*$/;
const USER_NAME = /^[a-z][a-z0-9_-]*$/;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;
/**
 * Characters that could rewrite a terminal or hide text when printed: C0/C1 controls (ESC, CSI,
 * and newline and tab, which break one-line columns), line separators, bidi overrides/isolates.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'gu');

/**
 * A value the user typed, as an error message may echo it: unprintable characters escaped and at
 * most `max` characters, so a hostile argument can neither drive the terminal nor flood it.
 */
export function shown(text: string, max = 64): string {
  const chars = [...text];
  const cut = chars.length > max ? chars.slice(0, max).join('') + '…' : text;
  return cut.replace(UNPRINTABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function checkVmName(name: string): string {
  if (name.length < 5 || name.length > 52 || !VM_NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid VM name "${shown(name)}": use 5–52 lowercase letters, digits and single hyphens, starting with a letter (e.g. dev-box)`);
  }
  return name;
}

export function checkTag(tag: string): string {
  if (tag.length > 64 || !TAG.test(tag)) {
    throw new GatehouseError('invalid_input', `invalid tag "${shown(tag)}": use lowercase letters, digits, "-" and "_", starting with a letter (at most 64)`);
  }
  return tag;
}

export function checkUserName(name: string): string {
  if (name.length < 2 || name.length > 32 || !USER_NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid user name "${shown(name)}": use 2–32 lowercase letters, digits, "-" and "_", starting with a letter`);
  }
  return name;
}

export function checkKeyName(name: string): string {
  if (name.length > 64 || !KEY_NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid key name "${shown(name)}": use letters, digits, ".", "_", "@" and "-" (at most 64)`);
  }
  return name;
}

export function checkEmail(email: string): string {
  if (email.length > 254 || !EMAIL.test(email)) throw new GatehouseError('invalid_input', `invalid email "${shown(email)}": expected something like you@example.com`);
  return email;
}

export function checkComment(text: string): string {
  if (text.length > 500) throw new GatehouseError('invalid_input', 'comment is too long: at most 500 characters');
  if (UNPRINTABLE.test(text)) throw new GatehouseError('invalid_input', 'comment must not contain control characters (including newlines and tabs) or bidi overrides');
  return text;
}

const ADJECTIVES = ['amber', 'brave', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fancy', 'gentle', 'golden', 'happy', 'jolly', 'keen', 'lively', 'lucky', 'mellow', 'nimble', 'polite', 'proud', 'quiet', 'rapid', 'rustic', 'shiny', 'silent', 'snowy', 'sunny', 'swift', 'tidy', 'vivid', 'witty', 'zesty'];
const NOUNS = ['badger', 'beacon', 'cedar', 'comet', 'falcon', 'fern', 'garnet', 'harbor', 'heron', 'island', 'lagoon', 'lantern', 'maple', 'meadow', 'nebula', 'orchid', 'otter', 'pebble', 'pine', 'quartz', 'raven', 'river', 'sparrow', 'summit', 'thistle', 'tiger', 'tundra', 'willow', 'walrus', 'yak', 'zephyr', 'canyon'];

/** A readable two-word name such as "brave-otter"; callers retry on collision. */
export function generateVmName(random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}`;
}
