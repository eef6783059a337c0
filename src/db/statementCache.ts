// kysely's SQLite driver prepares every query anew; better-sqlite3's prepare is the costliest
// step of a small query (an SSH login runs several). This hands kysely the same prepared
// statement for the same SQL text, from a bounded cache.
import type SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase } from 'kysely';

/** Distinct SQL texts are few (queries are built from fixed shapes); IN-lists of every length are the tail. */
const MAX_STATEMENTS = 500;

export function cachingStatements(sqlite: SqliteDatabase.Database): KyselySqliteDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(sql: string) {
      const cached = cache.get(sql);
      // A statement still being iterated (a streamed query) cannot run twice at once.
      if (cached && !cached.busy) return cached;
      const stmt = sqlite.prepare(sql);
      if (!cached) {
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}
