// The building blocks of the results contract (TypeBox): numbers with their
// bounds, counts by command, nullable values, and the two kinds of optional
// field. The schema is written once, as readers must take it: fields it does
// not know are accepted, and a field added after schemaVersion 1's first
// results may be absent. closed() derives from it the schema of what this
// bpfbench writes, which tests hold every fresh result to.
import { Type, type SchemaOptions, type TLiteral, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';

/** Marks a field added after schemaVersion 1's first results: optional for readers, always written now. */
export const LATER = 'x-bpfbench-later';

export const Str = (o?: SchemaOptions) => Type.String(o);
export const Bool = () => Type.Boolean();
export const Num = () => Type.Number();
/** Times, sizes, ratios that may be 0. */
export const NonNeg = () => Type.Number({ minimum: 0 });
/** What a comparison divides by: a time, a ratio. */
export const Positive = () => Type.Number({ exclusiveMinimum: 0 });
/** Entries, calls, runs, sizes, flags. */
export const Count = () => Type.Integer({ minimum: 0 });
export const Strings = () => Type.Array(Type.String());
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** Bpf calls by command: `{"LOOKUP_BATCH": 257}`. */
export const Counts = () => Type.Record(Type.String(), Count());
/** A figure by name (a strategy, a command): `{"batch": 7.4}`. */
export const ByName = <T extends TSchema>(t: T) => Type.Record(Type.String(), t);
/** One of a few strings. */
export const OneOf = <const L extends string>(...values: L[]) => Type.Union(values.map((v) => Type.Literal(v)) as TLiteral<L>[]);

/** An object of the contract: closed() closes it (an unknown field fails what bpfbench writes). */
export const Obj = <P extends TProperties>(p: P, o?: SchemaOptions) => Type.Object(p, o);
/** An object whose fields are open by nature (what the kernel or a file lists): never closed. */
export const Open = <P extends TProperties>(p: P, o?: SchemaOptions) => Type.Object(p, { ...o, additionalProperties: true });

/** A field written only sometimes (an option's, a condition's): optional in both schemas. */
export const Sometimes = <T extends TSchema>(t: T) => Type.Optional(t);
/** A field added later: absent in older results, always written by this bpfbench (closed() requires it). */
export const Later = <T extends TSchema>(t: T) => Type.Optional({ ...t, [LATER]: true } as T);

type Json = { [k: string]: unknown };
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The schema of what this bpfbench writes, from the readers' schema: every
 * object of the contract closed (additionalProperties false, unless it says
 * otherwise) and every field added later required. Pure: returns a copy.
 */
export function closed<T>(schema: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isJson(v)) return v;
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'const' || k === 'enum' ? x : walk(x);
    if (out.type === 'object' && isJson(out.properties)) {
      if (out.additionalProperties === undefined) out.additionalProperties = false;
      const later = Object.entries(out.properties as Json)
        .filter(([, p]) => isJson(p) && p[LATER] === true)
        .map(([k]) => k);
      if (later.length) out.required = [...((out.required as string[] | undefined) ?? []), ...later];
    }
    return out;
  };
  return walk(schema) as T;
}

export type { TObject, TSchema };
