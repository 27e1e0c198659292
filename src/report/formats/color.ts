// The one place the renderers get their colours from: chalk at level 1 (16
// colours) when colour is on, plain strings when it is off.
import { Chalk, type ChalkInstance } from 'chalk';

export type { ChalkInstance };

export function paint(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}
