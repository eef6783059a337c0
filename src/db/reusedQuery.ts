// A query built and compiled once per database, then run with other parameters. kysely builds
// every query anew (an immutable tree, then its SQL text), about half the cost of a small query:
// an SSH login and a `whoami` ran three such lookups per connection (issue 18's SSH profile).
import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './open.js';

/**
 * `build` makes the query from the same parameters it is later run with; its compiled parameters
 * must be exactly those, in order (checked on the first build), so that rerunning it with others
 * is the same query. A transaction is another Db: it compiles its own.
 */
export function reusedQuery<P extends unknown[], R>(build: (db: Db, ...params: P) => Compilable<R>): (db: Db, ...params: P) => Promise<R[]> {
  const compiled = new WeakMap<Db, CompiledQuery<R>>();
  return async (db, ...params) => {
    let query = compiled.get(db);
    if (!query) {
      query = build(db, ...params).compile();
      if (query.parameters.length !== params.length || query.parameters.some((p, i) => p !== params[i])) {
        throw new Error(`reusedQuery: the query's parameters are not the ones it is run with: ${query.sql}`);
      }
      compiled.set(db, query);
    }
    const { rows } = await db.executeQuery<R>({ ...query, parameters: params });
    return rows;
  };
}
