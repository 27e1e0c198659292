// Which strategies this kernel lets run (bpf/features.ts probes what each
// needs): a list asked for by name is refused in one line when one of it is
// refused; a default list leaves the refused ones out and says why.
import { FeatureUnavailableError, probeCommand, probeFeature, refusalText } from '../bpf/programs/features.js';
import type { FeatureStatus } from '../bpf/programs/feature-probes.js';
import { MapType } from '../bpf/syscall/constants.js';
import type { Strategy, StrategyNeed } from './types.js';

/** A strategy left out of a default list, and why: one line. */
export interface Unavailable {
  strategy: string;
  reason: string;
}

function statusOf(need: StrategyNeed, mapType: number, objectPath?: string): FeatureStatus {
  return need.perMapType ? probeCommand(need.feature, mapType) : probeFeature(need.feature, objectPath);
}

/** Why this kernel cannot run `s` on maps of `mapType`, or undefined when it can. */
export function unavailableReason(s: Strategy, mapType: number = MapType.hash, objectPath?: string): string | undefined {
  for (const need of s.needs ?? []) {
    const st = statusOf(need, mapType, objectPath);
    if (st.state !== 'available') return refusalText(need.what, st);
  }
  return undefined;
}

export interface Choice {
  strategies: Strategy[];
  unavailable: Unavailable[];
}

/**
 * The strategies to run. `named`: the user asked for these by name, so one
 * the kernel refuses is an error (FeatureUnavailableError: one line, exit 1,
 * before any map is made); else the refused ones are left out, each with
 * its reason.
 */
export function chooseStrategies(list: readonly Strategy[], o: { named: boolean; mapType?: number; objectPath?: string }): Choice {
  const strategies: Strategy[] = [];
  const unavailable: Unavailable[] = [];
  for (const s of list) {
    for (const need of s.needs ?? []) {
      const st = statusOf(need, o.mapType ?? MapType.hash, o.objectPath);
      if (st.state === 'available') continue;
      if (o.named) throw new FeatureUnavailableError(s.name, need.what, need.feature, st);
      unavailable.push({ strategy: s.name, reason: refusalText(need.what, st) });
      break;
    }
    if (!unavailable.some((u) => u.strategy === s.name)) strategies.push(s);
  }
  return { strategies, unavailable };
}
