// In-process change notifications, so in-memory indexes (the gateway's VM-by-address index,
// the integrations resolver) stay fresh without reading the database on every request.
// Published by the database itself (db/changePublisher.ts for this process's writes, and on
// PostgreSQL db/changeFeed.ts for every other writer's): no command emits a topic by hand.
import { EventEmitter } from 'node:events';
import { CHANGE_TOPICS, type ChangeSink, type ChangeTopic } from '../db/changeTopics.js';

export { CHANGE_TOPICS, type ChangeTopic };

export class Changes implements ChangeSink {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit(topic: ChangeTopic): void {
    this.emitter.emit(topic);
  }

  /** Every topic at once: after something may have been missed (a lost listener connection). */
  emitAll(): void {
    for (const topic of CHANGE_TOPICS) this.emitter.emit(topic);
  }

  on(topic: ChangeTopic, listener: () => void): () => void {
    this.emitter.on(topic, listener);
    return () => this.emitter.off(topic, listener);
  }
}
