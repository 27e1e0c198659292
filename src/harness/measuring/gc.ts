// A full garbage collection on demand, before each strategy's reads (outside
// any timed window; measure-strategy.ts): without it, a collection that V8 schedules
// on its own (the memory reducer, after an allocation-heavy phase such as a
// fill or another strategy) can land inside a read and free garbage made
// before it, which would be counted as the read's allocation.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function fullGc(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
}
