// docs/json.md against the schema (src/report/schema/): every field the
// outline of a kind names exists in that kind's schema, and wherever the
// outline lists an object's fields (`config{…}`), it lists every field the
// schema gives that object. Either drifting fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../src/paths.js';
import { resultSchema, type ResultKind } from '../../src/report/schema/index.js';

type S = Record<string, any>;

/** An outline's fields by dotted path; `listed`: the outline lists that object's own fields (braces, not `…`). */
interface Outline {
  paths: Map<string, { listed: boolean }>;
}

/** Parses the brace outline of docs/json.md (`{ a, b{c, d[]}, e[{f}] | null, g: "x" }`). */
function parseOutline(text: string): Outline {
  const paths = new Map<string, { listed: boolean }>();
  let i = text.indexOf('{') + 1;
  const skipValue = () => {
    // `: "self"`, `| null`, `: n`, `?`: up to the next comma or close at this depth.
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if ('{['.includes(c)) depth++;
      else if ('}]'.includes(c)) {
        if (depth === 0) return;
        depth--;
      } else if (c === ',' && depth === 0) return;
      i++;
    }
  };
  const members = (prefix: string): boolean => {
    let listed = true;
    for (;;) {
      while (/[\s,]/.test(text[i] ?? '')) i++;
      const c = text[i];
      if (c === undefined || c === '}' || c === ']') {
        i++;
        return listed;
      }
      if (text.startsWith('…', i)) {
        listed = false;
        i++;
        continue;
      }
      if (c === '<') {
        // A record (`<CMD>: n`): its names are not fields.
        listed = false;
        skipValue();
        continue;
      }
      const name = /^[$A-Za-z_][\w$]*/.exec(text.slice(i))?.[0];
      assert.ok(name, `docs/json.md outline: cannot read at ${JSON.stringify(text.slice(i, i + 30))}`);
      i += name.length;
      const path = prefix ? `${prefix}.${name}` : name;
      const entry = { listed: false };
      paths.set(path, entry);
      if (text[i] === '?') i++;
      if (text[i] === '{') {
        i++;
        entry.listed = members(path);
      } else if (text[i] === '[') {
        i++;
        while (/\s/.test(text[i]!)) i++;
        if (text[i] === '{') {
          i++;
          entry.listed = members(path);
          while (text[i] !== ']') i++;
        }
        i++;
      }
      skipValue();
    }
  };
  members('');
  return { paths };
}

/** The outline of each kind: the first code block after its heading. */
function outlines(): Record<Exclude<ResultKind, never>, Outline> {
  const md = readFileSync(join(ROOT, 'docs/json.md'), 'utf8');
  const block = (heading: string) => {
    const at = md.indexOf(`\n## ${heading}\n`);
    assert.ok(at >= 0, `docs/json.md has no "## ${heading}"`);
    const m = /```\n([\s\S]*?)```/.exec(md.slice(at));
    return parseOutline(m![1]!);
  };
  return { run: block('Run results'), peers: block('Peers'), sweep: block('Sweep'), compare: block('Compare') };
}

/** The object schemas a value may be (through null, unions, arrays, if/then/else). */
function objectsOf(s: S): S[] {
  if (s.anyOf) return (s.anyOf as S[]).flatMap(objectsOf);
  if (s.then) return [...objectsOf(s.then), ...objectsOf(s.else)];
  if (s.type === 'array' && s.items) return objectsOf(s.items);
  return s.type === 'object' && s.properties ? [s] : [];
}

/** The schemas at a dotted path, through every form a value may take. */
function at(root: S, path: string): S[] {
  let here: S[] = [root];
  for (const key of path.split('.')) here = here.flatMap(objectsOf).flatMap((o) => (o.properties[key] ? [o.properties[key]] : []));
  return here;
}

for (const [kind, outline] of Object.entries(outlines()) as [ResultKind, Outline][]) {
  test(`docs/json.md's ${kind} outline names only fields of the ${kind} schema`, () => {
    const schema = resultSchema(kind);
    const unknown = [...outline.paths.keys()].filter((p) => at(schema, p).length === 0);
    assert.deepEqual(unknown, [], `documented in docs/json.md but not in src/report/schema/${kind}-schema.ts`);
  });

  test(`docs/json.md's ${kind} outline lists every field of the ${kind} schema where it lists an object's fields`, () => {
    const schema = resultSchema(kind);
    const missing: string[] = [];
    const check = (prefix: string, objects: S[]) => {
      for (const o of objects) for (const k of Object.keys(o.properties)) if (!outline.paths.has(prefix ? `${prefix}.${k}` : k)) missing.push(prefix ? `${prefix}.${k}` : k);
    };
    check('', [schema]);
    for (const [p, { listed }] of outline.paths) if (listed) check(p, at(schema, p).flatMap(objectsOf));
    assert.deepEqual([...new Set(missing)], [], `in src/report/schema/${kind}-schema.ts but not in docs/json.md's outline`);
  });
}

test('the outline parser reads nesting, arrays, records, unions and elisions', () => {
  const o = parseOutline('{ a, b{c, d[]}, e[{f, g: "x"|"y"}] | null, h{<CMD>: n}, i{…}, j? }');
  assert.deepEqual([...o.paths.keys()], ['a', 'b', 'b.c', 'b.d', 'e', 'e.f', 'e.g', 'h', 'i', 'j']);
  assert.equal(o.paths.get('b')!.listed, true);
  assert.equal(o.paths.get('h')!.listed, false);
  assert.equal(o.paths.get('i')!.listed, false);
});
