#!/usr/bin/env node
// Writes docs/schemas/*.schema.json from the declarations in src/schema/ (compiled to dist/ by
// `tsc`): `npm run schemas`. test/core/schemas.test.ts fails when the two differ.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { SCHEMAS } = await import(path.join(root, 'dist/schema/index.js'));
for (const [name, schema] of Object.entries(SCHEMAS)) {
  const file = path.join(root, 'docs/schemas', `${name}.schema.json`);
  writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${path.relative(root, file)}`);
}
