// Reading one result file's JSON field by field, for `bpfbench report`: a
// field that is missing or of the wrong type is one InvalidInputError naming
// the file and the field's path (`results[2].wallNs.median is missing`).
import { InvalidInputError } from '../errors.js';

export type Obj = Record<string, unknown>;

/** A value as an error message quotes it: JSON, cut to 40 characters. */
export const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads fields of one file's JSON by path (`results[2].wallNs.median`); a wrong one is an InvalidInputError naming file and path. */
export class Fields {
  constructor(readonly file: string) {}

  fail(path: string, what: string): never {
    throw new InvalidInputError(`${this.file}: ${path} ${what}`);
  }

  private value(o: Obj, key: string, path: string): unknown {
    if (!(key in o) || o[key] === undefined) this.fail(path, 'is missing');
    return o[key];
  }

  obj(o: Obj, key: string, path: string): Obj {
    const v = this.value(o, key, path);
    if (!isObj(v)) this.fail(path, `is not an object (found ${show(v)})`);
    return v;
  }

  num(o: Obj, key: string, path: string, min = -Infinity): number {
    const v = this.value(o, key, path);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, `is not a number (found ${show(v)})`);
    if (v < min) this.fail(path, `is ${v}, below ${min}`);
    return v;
  }

  numOrNull(o: Obj, key: string, path: string): number | null {
    return o[key] === null ? null : this.num(o, key, path);
  }

  str(o: Obj, key: string, path: string): string {
    const v = this.value(o, key, path);
    if (typeof v !== 'string') this.fail(path, `is not a string (found ${show(v)})`);
    return v;
  }

  bool(o: Obj, key: string, path: string): boolean {
    const v = this.value(o, key, path);
    if (typeof v !== 'boolean') this.fail(path, `is not true or false (found ${show(v)})`);
    return v;
  }

  arr(o: Obj, key: string, path: string, nonEmpty = false): unknown[] {
    const v = this.value(o, key, path);
    if (!Array.isArray(v)) this.fail(path, `is not an array (found ${show(v)})`);
    if (nonEmpty && v.length === 0) this.fail(path, 'is empty');
    return v;
  }

  /** Each element an object, handed to `each` with its path. */
  objects(o: Obj, key: string, path: string, each: (x: Obj, path: string) => void, nonEmpty = true): void {
    this.arr(o, key, path, nonEmpty).forEach((x, i) => {
      const p = `${path}[${i}]`;
      if (!isObj(x)) this.fail(p, `is not an object (found ${show(x)})`);
      each(x, p);
    });
  }

  strings(o: Obj, key: string, path: string): void {
    for (const [i, x] of this.arr(o, key, path).entries()) if (typeof x !== 'string') this.fail(`${path}[${i}]`, `is not a string (found ${show(x)})`);
  }

  numbers(o: Obj, key: string, path: string): void {
    for (const [i, x] of this.arr(o, key, path, true).entries()) if (!(typeof x === 'number' && Number.isFinite(x))) this.fail(`${path}[${i}]`, `is not a number (found ${show(x)})`);
  }

  /** Every value of an object a number ≥ min (`{LOOKUP_BATCH: 17}`). */
  numberValues(o: Obj, key: string, path: string, min = -Infinity): Obj {
    const m = this.obj(o, key, path);
    for (const k of Object.keys(m)) this.num(m, k, `${path}.${k}`, min);
    return m;
  }

  /** A field read only when present (newer results carry it; older ones do not). */
  optionalStr(o: Obj, key: string, path: string): void {
    if (o[key] !== undefined) this.str(o, key, path);
  }

  /** true, false or null, read only when present (null: not a check this result could make). */
  optionalBoolOrNull(o: Obj, key: string, path: string): void {
    if (o[key] !== undefined && o[key] !== null) this.bool(o, key, path);
  }

  /** An object field read only when present and not null; `each` checks its inside. */
  optionalObj(o: Obj, key: string, path: string, each: (x: Obj) => void): void {
    if (o[key] !== undefined && o[key] !== null) each(this.obj(o, key, path));
  }
}
