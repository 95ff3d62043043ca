import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCOPE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/scope');
// Pure modules only: path and URL parsing (no filesystem access), the RE2 engine, the error table.
const ALLOWED = new Set(['node:path', 'node:url', 're2js', '../errors.js']);
const FORBIDDEN_CALLS = [/\bprocess\./, /\bDate\.now\(/, /\bnew Date\(/, /\brequire\(/, /\bimport\(/, /\bfetch\(/, /\bMath\.random\(/];

describe('src/scope is pure', () => {
  const files = readdirSync(SCOPE_DIR).filter((f) => f.endsWith('.ts'));

  it('has the expected files', () => {
    expect(files).toEqual(expect.arrayContaining(['algebra.ts', 'path.ts', 'index.ts', 'types.ts']));
  });

  it.each(files)('%s imports only pure modules and reads no clock, environment or randomness', (file) => {
    const source = readFileSync(path.join(SCOPE_DIR, file), 'utf8');
    const specifiers = [...source.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]!);
    for (const spec of specifiers) {
      if (spec.startsWith('./')) continue;
      expect(ALLOWED, `${file} imports ${spec}`).toContain(spec);
    }
    for (const pattern of FORBIDDEN_CALLS) expect(source, `${file} matches ${pattern}`).not.toMatch(pattern);
  });
});
