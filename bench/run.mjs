// `npm run bench`: every benchmark in one run, each printing its own table.
// Run after a build (the npm script builds first). One benchmark can be picked:
// `node bench/run.mjs policy proxy`.
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['policy', 'scope', 'audit', 'offline', 'judge', 'credentials', 'proxy', 'http'];
const picked = process.argv.slice(2);
const names = picked.length > 0 ? picked : ALL;

const unknown = names.filter((n) => !ALL.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${ALL.join(', ')}\n`);
  process.exit(2);
}

process.stdout.write(`intentguard benchmarks — node ${process.version}, ${process.platform}/${process.arch}\n\n`);
for (const name of names) {
  const file = path.join(here, `${name}.mjs`);
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(`${name}.mjs`)) {
      process.stdout.write(`## ${name}: not present\n\n`);
      continue;
    }
    throw e;
  }
  process.stdout.write(`## ${name}\n\n`);
  const result = await mod.run();
  // Modules that return a report and print it separately export `print`.
  if (typeof mod.print === 'function') mod.print(result);
  process.stdout.write('\n');
}
