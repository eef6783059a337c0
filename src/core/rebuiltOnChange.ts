// An in-memory copy of some rows that the gateway reads on every request, rebuilt after any change
// to them: built once, single-flight (concurrent readers share one build), and never kept when a
// change landed while it was being read (that copy may hold the old rows: it serves its own
// callers once, and the next reader builds anew). The integration, API-key and limits indexes use it.
import type { Changes, ChangeTopic } from './changes.js';

export class RebuiltOnChange<T> {
  private value?: T;
  private building?: Promise<T>;
  private generation = 0;

  constructor(
    private readonly build: () => Promise<T>,
    changes: Changes,
    topics: ChangeTopic[],
  ) {
    const invalidate = () => {
      this.generation++;
      this.value = undefined;
      this.building = undefined; // a build under way may have read the old rows
    };
    for (const topic of topics) changes.on(topic, invalidate);
  }

  /** The built value when there is one: the hot path's way to skip an await. */
  get cached(): T | undefined {
    return this.value;
  }

  get(): Promise<T> {
    if (this.value) return Promise.resolve(this.value);
    if (!this.building) {
      const generation = this.generation;
      const building: Promise<T> = this.build().then(
        (value) => {
          if (this.building === building) this.building = undefined;
          if (generation === this.generation) this.value = value;
          return value;
        },
        (err) => {
          if (this.building === building) this.building = undefined;
          throw err;
        },
      );
      this.building = building;
    }
    return this.building;
  }
}
