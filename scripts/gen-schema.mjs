#!/usr/bin/env node
// Writes the JSON Schemas of policy files (policies/schema.json) and configuration files
// (examples/config.schema.json) from the zod schemas of the built package (run `npm run build`
// first). With --check, exits 1 when a committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, URL } from 'node:url';
import { renderPolicySchema } from '../dist/policy/schema.js';
import { renderConfigSchema } from '../dist/config/schema.js';

const targets = [
  { file: '../policies/schema.json', render: renderPolicySchema },
  { file: '../examples/config.schema.json', render: renderConfigSchema },
];

for (const { file, render } of targets) {
  const target = fileURLToPath(new URL(file, import.meta.url));
  const fresh = render();
  const name = file.slice(3);
  if (process.argv.includes('--check')) {
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current !== fresh) {
      process.stderr.write(`${name} is stale: run \`node scripts/gen-schema.mjs\` after \`npm run build\`\n`);
      process.exitCode = 1;
    }
  } else {
    await writeFile(target, fresh);
    process.stdout.write(`wrote ${name}\n`);
  }
}
