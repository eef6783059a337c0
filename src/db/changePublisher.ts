// The store publishes its own changes: a kysely plugin that maps every INSERT, UPDATE, DELETE or
// MERGE on a watched table to its change topic and, once the statement has run, tells this
// process's Changes. No command has to remember to emit (forgetting one left caches stale).
//
// Plugins are shared by transactions, so a write inside db.transaction() publishes too, right
// after its statement and before the commit. On SQLite that is safe: kysely runs every query on
// one connection, so a rebuild set off by it waits for the commit. On PostgreSQL a rebuild on
// another pool connection may still read the rows of before: the notification that the commit
// sends (migration 0006, db/changeFeed.ts) comes back to this instance too and invalidates again.
// A transaction that rolls back after a write has published it for nothing: one spare rebuild.
//
// Runs for every query (usage rows go through kysely on PostgreSQL), so it only looks at the
// root node's kind, its table and the statements of a WITH: no walk of the whole tree, no SQL
// parsing (tens of nanoseconds a statement). Raw SQL (sql`…`) is not seen:
// a raw write to a watched table must not be added without publishing its topic.
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { ChangeSink, ChangeTopic } from './changeTopics.js';

/** Which topic a write to each table changes; usage, command_history, kysely_* and any other table: none. */
export const TOPIC_OF_TABLE: ReadonlyMap<string, ChangeTopic> = new Map<string, ChangeTopic>([
  ['users', 'users'],
  ['ssh_keys', 'users'],
  ['vms', 'vms'],
  ['vm_tags', 'vms'],
  ['integrations', 'integrations'],
  ['integration_secrets', 'integrations'],
  ['attachments', 'integrations'],
  ['api_keys', 'keys'],
  ['user_limits', 'limits'],
  ['credit_grants', 'credits'],
  ['chatgpt_accounts', 'chatgpt'],
  ['teams', 'teams'],
  ['team_members', 'teams'],
]);

export class ChangePublisher implements KyselyPlugin {
  /** Topics of the statements compiled, by query; a statement that fails never reaches transformResult. */
  private readonly pending = new WeakMap<object, ChangeTopic[]>();

  constructor(private readonly changes: ChangeSink) {}

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const topics = topicsOf(node);
    if (topics) this.pending.set(queryId, topics);
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const topics = this.pending.get(queryId);
    // Kept, not deleted: a compiled query run again is the same query (the WeakMap lets it go).
    if (topics) for (const topic of topics) this.changes.emit(topic);
    return result;
  }
}

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/** The topics a statement changes, or undefined (reads, DDL, unwatched tables). */
export function topicsOf(node: RootOperationNode): ChangeTopic[] | undefined {
  if (!WRITES.has(node.kind) && !(node as WithCtes).with) return undefined;
  const topics: ChangeTopic[] = [];
  collect(node, topics);
  return topics.length > 0 ? topics : undefined;
}

type WithCtes = { with?: { expressions: ReadonlyArray<{ expression: OperationNode }> } };

function collect(node: OperationNode, topics: ChangeTopic[]): void {
  const add = (table: OperationNode | undefined) => {
    const name = table && tableName(table);
    const topic = name === undefined ? undefined : TOPIC_OF_TABLE.get(name);
    if (topic && !topics.includes(topic)) topics.push(topic);
  };
  // A data-modifying CTE (PostgreSQL: WITH x AS (DELETE FROM vms …) SELECT …) writes too.
  for (const cte of (node as WithCtes).with?.expressions ?? []) collect(cte.expression, topics);
  const n = node as RootOperationNode;
  switch (n.kind) {
    case 'InsertQueryNode':
    case 'MergeQueryNode':
      add(n.into);
      break;
    case 'UpdateQueryNode':
      if (onlyBookkeeping(n)) break;
      if (n.table?.kind === 'ListNode') for (const t of (n.table as unknown as { items: OperationNode[] }).items) add(t);
      else add(n.table);
      break;
    case 'DeleteQueryNode':
      for (const t of n.from.froms) add(t);
      break;
  }
}

/** The table's own name (without schema) of a TableNode, or of an aliased one (`vms as v`). */
function tableName(node: OperationNode): string | undefined {
  const target = node.kind === 'AliasNode' ? (node as unknown as { node: OperationNode }).node : node;
  if (target.kind !== 'TableNode') return undefined;
  return (target as unknown as { table: { identifier: { name: string } } }).table.identifier.name;
}

/**
 * Columns that record use, not configuration: no cache holds them, and they are written on every SSH
 * login and API-key use. Publishing those writes would rebuild every index of every instance, all
 * the time. Migration 0010 leaves them out of PostgreSQL's triggers the same way.
 */
const BOOKKEEPING = new Set(['last_used_at']);

function onlyBookkeeping(node: { updates?: ReadonlyArray<OperationNode> }): boolean {
  const columns = (node.updates ?? []).map((u) => (u as unknown as { column?: { column?: { name?: string } } }).column?.column?.name);
  return columns.length > 0 && columns.every((c) => c !== undefined && BOOKKEEPING.has(c));
}
