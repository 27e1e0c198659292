// Where a run's wall time went: each phase timed where it runs (the map's
// creation, the fill, set-up, each strategy's audit, warmup and timed reads,
// the time between timed reads, collections, refills, reads under writers,
// closing). The CLI adds the process's whole wall time when it writes the
// result; what no phase covers is "everything else" (node's start, probes,
// rendering). Nothing here is estimated: every figure is a clock reading.

export interface WallPhase {
  phase: string;
  ns: number;
  /** The kernel does the work of this phase (create, fill, the reads themselves): the rest is bpfbench's own. */
  kernelBound: boolean;
}

export class WallAccount {
  readonly phases: WallPhase[] = [];

  /** Adds `ns` to a phase (made on first use, in order). */
  add(phase: string, ns: number, kernelBound: boolean): void {
    const p = this.phases.find((x) => x.phase === phase);
    if (p) p.ns += ns;
    else this.phases.push({ phase, ns, kernelBound });
  }

  /** Runs `f`, its wall time added to `phase`. */
  time<T>(phase: string, kernelBound: boolean, f: () => T): T {
    const t0 = process.hrtime.bigint();
    try {
      return f();
    } finally {
      this.add(phase, Number(process.hrtime.bigint() - t0), kernelBound);
    }
  }
}

/** Nanoseconds since this process started (process.uptime(): node's clock from its start). */
export const processWallNs = (): number => Math.round(process.uptime() * 1e9);
