// The schema files the npm package ships (schema/<kind>.schema.json): the
// readers' schema of each kind, as JSON. `make schema` writes them; a test
// fails when the committed files are not what the TypeBox source gives.
import { KINDS, resultSchema } from './contract.js';

/** File name → its text, for every kind. */
export function schemaFiles(): Record<string, string> {
  return Object.fromEntries(KINDS.map((k) => [`${k}.schema.json`, `${JSON.stringify(resultSchema(k), null, 2)}\n`]));
}
