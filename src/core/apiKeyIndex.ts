// API keys by hash, in memory: the gateway looks a key up on every request without touching the
// database. Rebuilt after any key change ("keys revoke" takes effect at once); expiry is checked
// per request. Lookup hashes the presented key first, so timing depends on the hash, not the secret.
import { allApiKeys, touchApiKey } from '../db/apiKeys.js';
import type { Db } from '../db/open.js';
import type { Log } from '../log.js';
import type { Changes } from './changes.js';
import { RebuiltOnChange } from './rebuiltOnChange.js';
import type { Sealer } from './secrets.js';

export interface IndexedApiKey {
  id: number;
  userId: number;
  name: string;
  /** Integration ids in scope; null: all of the user's. */
  integrations: number[] | null;
  /** Model globs in scope; null: any. */
  models: string[] | null;
  expiresAt: number | null;
}

const TOUCH_EVERY_MS = 60_000;

export class ApiKeyIndex {
  private readonly byHash: RebuiltOnChange<Map<string, IndexedApiKey>>;
  private readonly touched = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
    private readonly log: Log,
    changes: Changes,
  ) {
    this.byHash = new RebuiltOnChange(() => buildIndex(db), changes, ['keys', 'users']);
  }

  /** The live key for a presented secret; undefined when unknown, revoked or expired. */
  async find(secret: string, now = Date.now()): Promise<IndexedApiKey | undefined> {
    const key = (await this.byHash.get()).get(this.sealer.pepperedHash(secret));
    if (!key || (key.expiresAt !== null && key.expiresAt <= now)) return undefined;
    this.touch(key, now);
    return key;
  }

  /** "last used" is kept to the minute, written off the request path. */
  private touch(key: IndexedApiKey, now: number): void {
    if ((this.touched.get(key.id) ?? 0) + TOUCH_EVERY_MS > now) return;
    this.touched.set(key.id, now);
    touchApiKey(this.db, key.id, new Date(now).toISOString()).catch((err) => this.log.error('recording key use failed', err));
  }
}

async function buildIndex(db: Db): Promise<Map<string, IndexedApiKey>> {
  const rows = await allApiKeys(db);
  return new Map(
    rows.map((r) => [
      r.hash,
      { id: r.id, userId: r.user_id, name: r.name, integrations: r.integrations && JSON.parse(r.integrations), models: r.models && JSON.parse(r.models), expiresAt: r.expires_at ? Date.parse(r.expires_at) : null },
    ]),
  );
}
