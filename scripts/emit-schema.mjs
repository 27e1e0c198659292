#!/usr/bin/env node
// Writes schema/<kind>.schema.json from the TypeBox source (src/report/schema/),
// the files the npm package ships. Needs the build (`make`); `make schema` runs it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFiles } from '../dist/src/report/schema/emit.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(schemaFiles())) writeFileSync(join(dir, name), text);
