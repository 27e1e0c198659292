// The parts every kind of result shares: who made it and when, the machine
// it ran on, the map it read, the strategies the kernel refused, and the
// call latency of a read.
import { Type } from '@sinclair/typebox';
import { ByName, Bool, Count, Later, NonNeg, Nullable, Num, Obj, OneOf, Open, Positive, Sometimes, Str, Strings } from './kit.js';

export const SCHEMA_VERSION_1 = Type.Literal(1);

export const Tool = () => Obj({ name: Str(), version: Str() });

const Loaded = () => Obj({ path: Str(), origin: OneOf('local', 'prebuilt', 'other'), sha256: Nullable(Str()) });

/** What this kernel allows (bpfbench info --kernel): its features are what the probes list, open by nature. */
const KernelFeatures = () =>
  Obj({
    release: Str(),
    lockdown: Nullable(Str()),
    lockdownSource: Str(),
    object: Str(),
    objectError: Sometimes(Str()),
    /** `forced`: a test's override (BPFBENCH_TEST_REFUSE), never the kernel. */
    features: Type.Array(Open({ id: Str(), feature: Str(), state: Str(), errno: Nullable(Str()), why: Nullable(Str()), forced: Sometimes(Type.Literal(true)) })),
  });

/** What changes the cost of a syscall on the machine, as the files say it. */
const Machine = () =>
  Obj({
    mitigations: ByName(Str()),
    bpfJit: Obj({ enable: Nullable(Str()), harden: Nullable(Str()), kallsyms: Nullable(Str()) }),
    hypervisor: Str(),
    smt: Nullable(Str()),
    clocksource: Nullable(Str()),
    thp: Nullable(Str()),
  });

export const Context = () =>
  Obj({
    kernel: Str(),
    cpuModel: Str(),
    cpus: Type.Integer({ minimum: 1 }),
    memTotalBytes: Count(),
    node: Str(),
    koffi: Str(),
    libbpf: Str(),
    kernelFeatures: Later(KernelFeatures()),
    loaded: Later(Obj({ object: Loaded(), native: Loaded() })),
    machine: Later(Machine()),
    /** Calibration only (BPFBENCH_INJECT_NS). */
    injectNs: Sometimes(Nullable(NonNeg())),
  });

/** The map as bpfbench made or found it. */
export const MapInfo = () =>
  Obj({
    id: Count(),
    type: Str(),
    keySize: Count(),
    valueSize: Count(),
    maxEntries: Count(),
    flags: Count(),
    /** Absent when the kernel does not say. */
    memlockBytes: Sometimes(Count()),
    createNs: NonNeg(),
  });

export const Unavailable = () => Type.Array(Obj({ strategy: Str(), reason: Str() }));

/** One distribution of call times, ns. */
export const CallLatency = () =>
  Obj({ p50: NonNeg(), p90: NonNeg(), p99: NonNeg(), p999: NonNeg(), max: NonNeg(), mean: Later(NonNeg()), count: Later(Count()), sampledEvery: Later(Type.Integer({ minimum: 1 })) });

/** Wall times of the timed reads (what compare divides by: above 0). */
export const WallStats = () => Obj({ mean: Positive(), sd: NonNeg(), median: Positive(), min: Positive(), max: Positive(), samples: Type.Array(Positive()) });

export { Bool, Count, Num, Strings };
