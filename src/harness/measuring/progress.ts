// How the harness reports progress of long phases. The CLI supplies a
// terminal implementation; tests and non-terminals get the silent one.

export interface Progress {
  /** A phase starts; `total` is in `unit`s when known (entries), 0 if not. */
  start(phase: string, total: number, unit?: string): void;
  /** `done` of `total` so far. Cheap to call often. */
  update(done: number): void;
  /** The phase is over. */
  end(): void;
}

export const silentProgress: Progress = {
  start() {},
  update() {},
  end() {},
};
