// In-process change notifications, so in-memory indexes (the gateway's VM-by-address index,
// the integrations resolver) stay fresh without reading the database on every request.
import { EventEmitter } from 'node:events';

export type ChangeTopic = 'vms' | 'integrations' | 'users' | 'keys' | 'limits' | 'credits';

export class Changes {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit(topic: ChangeTopic): void {
    this.emitter.emit(topic);
  }

  on(topic: ChangeTopic, listener: () => void): () => void {
    this.emitter.on(topic, listener);
    return () => this.emitter.off(topic, listener);
  }
}
