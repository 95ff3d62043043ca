#!/usr/bin/env node
// Writes policies/schema.json from the zod schemas of the built package
// (run `npm run build` first). With --check, exits 1 when the committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, URL } from 'node:url';
import { renderPolicySchema } from '../dist/policy/schema.js';

const target = fileURLToPath(new URL('../policies/schema.json', import.meta.url));
const fresh = renderPolicySchema();

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== fresh) {
    process.stderr.write('policies/schema.json is stale: run `node scripts/gen-schema.mjs` after `npm run build`\n');
    process.exitCode = 1;
  }
} else {
  await writeFile(target, fresh);
  process.stdout.write('wrote policies/schema.json\n');
}
