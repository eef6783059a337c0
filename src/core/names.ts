// Naming rules shared by commands and the operator CLI (DESIGN.md §2).
import { GatehouseError } from '../errors.js';

const VM_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const TAG = /^[a-z][a-z0-9_-]*$/;
const USER_NAME = /^[a-z][a-z0-9_-]*$/;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkVmName(name: string): string {
  if (name.length < 5 || name.length > 52 || !VM_NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid VM name "${name}": use 5–52 lowercase letters, digits and single hyphens, starting with a letter (e.g. dev-box)`);
  }
  return name;
}

export function checkTag(tag: string): string {
  if (tag.length > 64 || !TAG.test(tag)) {
    throw new GatehouseError('invalid_input', `invalid tag "${tag}": use lowercase letters, digits, "-" and "_", starting with a letter (at most 64)`);
  }
  return tag;
}

export function checkUserName(name: string): string {
  if (name.length < 2 || name.length > 32 || !USER_NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid user name "${name}": use 2–32 lowercase letters, digits, "-" and "_", starting with a letter`);
  }
  return name;
}

export function checkKeyName(name: string): string {
  if (name.length > 64 || !KEY_NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid key name "${name}": use letters, digits, ".", "_", "@" and "-" (at most 64)`);
  }
  return name;
}

export function checkEmail(email: string): string {
  if (email.length > 254 || !EMAIL.test(email)) throw new GatehouseError('invalid_input', `invalid email "${email}": expected something like you@example.com`);
  return email;
}

export function checkComment(text: string): string {
  if (text.length > 500) throw new GatehouseError('invalid_input', 'comment is too long: at most 500 characters');
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw new GatehouseError('invalid_input', 'comment must not contain control characters');
  return text;
}

const ADJECTIVES = ['amber', 'brave', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fancy', 'gentle', 'golden', 'happy', 'jolly', 'keen', 'lively', 'lucky', 'mellow', 'nimble', 'polite', 'proud', 'quiet', 'rapid', 'rustic', 'shiny', 'silent', 'snowy', 'sunny', 'swift', 'tidy', 'vivid', 'witty', 'zesty'];
const NOUNS = ['badger', 'beacon', 'cedar', 'comet', 'falcon', 'fern', 'garnet', 'harbor', 'heron', 'island', 'lagoon', 'lantern', 'maple', 'meadow', 'nebula', 'orchid', 'otter', 'pebble', 'pine', 'quartz', 'raven', 'river', 'sparrow', 'summit', 'thistle', 'tiger', 'tundra', 'willow', 'walrus', 'yak', 'zephyr', 'canyon'];

/** A readable two-word name such as "brave-otter"; callers retry on collision. */
export function generateVmName(random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}`;
}
