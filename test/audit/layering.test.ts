import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const AUDIT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/audit');
// The audit log sits at the end of the spine: it knows the error table, the clock and canonical JSON, nothing upstream.
// re2js: a linear-time regex library for the redaction rules (no I/O, not part of the spine).
const ALLOWED_SRC = new Set(['../errors.js', '../clock.js', '../canonical.js', 're2js']);

describe('src/audit imports', () => {
  it.each(readdirSync(AUDIT_DIR).filter((f) => f.endsWith('.ts')))('%s imports no other part of the spine', (file) => {
    const source = readFileSync(path.join(AUDIT_DIR, file), 'utf8');
    for (const [, spec] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
      if (spec!.startsWith('node:') || spec!.startsWith('./')) continue;
      expect(ALLOWED_SRC, `${file} imports ${spec}`).toContain(spec);
    }
    expect(source).not.toMatch(/\bDate\.now\(/);
  });
});
