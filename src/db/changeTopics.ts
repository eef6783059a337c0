// The change topics, kept in the db room: the database is what publishes them (changePublisher.ts
// for this process's writes, changeFeed.ts for every other writer's on PostgreSQL), and
// core/changes.ts, which delivers them to the in-memory indexes, re-exports them.
export const CHANGE_TOPICS = ['vms', 'integrations', 'users', 'keys', 'limits', 'credits', 'chatgpt', 'teams'] as const;

export type ChangeTopic = (typeof CHANGE_TOPICS)[number];

export function isChangeTopic(value: string): value is ChangeTopic {
  return (CHANGE_TOPICS as readonly string[]).includes(value);
}

/** Where the database publishes: core/changes.ts's Changes. */
export interface ChangeSink {
  emit(topic: ChangeTopic): void;
  /** Every topic: after something may have been missed. */
  emitAll(): void;
}
