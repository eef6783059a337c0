// Web settings (issue 17): where the web pages listen and the address their links are printed
// with. Kept apart from config.ts like configOps.ts, and for the same reason.
import type { ListenAddress } from './config.js';
import { GatehouseError } from './errors.js';

export interface WebConfig {
  /** The web listener (models page, magic links, the user's page); undefined when `off`. */
  webListen: ListenAddress | undefined;
  /** The origin (and optional base path, no trailing "/") links are printed with; undefined: http://HOST:PORT of the listener. */
  publicUrl: string | undefined;
}

export const WEB_SETTINGS: { env: string; flag: string; default: string; help: string }[] = [
  { env: 'GATEHOUSE_WEB_LISTEN', flag: 'web-listen', default: '127.0.0.1:8081', help: 'the web pages (/models, the user page reached by "browser"); off to disable' },
  { env: 'GATEHOUSE_PUBLIC_URL', flag: 'public-url', default: 'http://HOST:PORT of the web listener', help: 'how users reach the web listener, for the links "browser" prints (https://… marks session cookies Secure)' },
];

export function webFrom(get: (name: string) => string | undefined, parseListen: (setting: string, value: string) => ListenAddress): WebConfig {
  const listen = get('GATEHOUSE_WEB_LISTEN') ?? '127.0.0.1:8081';
  const webListen = listen.toLowerCase() === 'off' ? undefined : parseListen('GATEHOUSE_WEB_LISTEN', listen);
  const raw = get('GATEHOUSE_PUBLIC_URL');
  return { webListen, publicUrl: raw === undefined || raw === '' ? undefined : checkPublicUrl(raw) };
}

function checkPublicUrl(raw: string): string {
  const bad = (why: string) => new GatehouseError('config', `GATEHOUSE_PUBLIC_URL: "${raw.slice(0, 100)}" ${why}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not a URL (e.g. https://gatehouse.example.com)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('must be http:// or https://');
  if (url.search || url.hash || url.username || url.password) throw bad('must not carry a query, fragment or credentials');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
