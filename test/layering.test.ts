import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/**
 * The folders are the architecture: this test reads the sources and fails on an
 * import that crosses the spine the wrong way (see DESIGN.md, "Modules").
 */
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

interface SourceFile {
  rel: string;
  folder: string;
  text: string;
  imports: string[];
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const files: SourceFile[] = sourceFiles(SRC).map((file) => {
  const text = readFileSync(file, 'utf8');
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  const imports: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (!spec) continue;
    imports.push(spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep).join('/') : spec);
  }
  return { rel, folder: rel.includes('/') ? rel.split('/')[0]! : '.', text, imports };
});

/** For each folder: src folders (or package prefixes) it must not import. */
const FORBIDDEN: Record<string, readonly string[]> = {
  scope: ['policy/', 'judge/', 'credentials/', 'guard/', 'session/', 'proxy/', 'server/', 'audit/', 'evals/', 'tune/', 'cli/', 'runtime/', 'config/', 'node:fs', 'node:net', 'node:http', 'node:child_process', 'fs', 'http'],
  policy: ['judge/', 'credentials/', 'guard/', 'proxy/', 'server/', 'evals/', 'tune/', 'cli/', 'runtime/', 'openai', '@anthropic-ai/sdk', 'ollama', '@modelcontextprotocol/', 'fastify'],
  judge: ['policy/load', 'policy/engine', 'credentials/', 'guard/', 'proxy/', 'server/', 'evals/', 'tune/', 'cli/', 'runtime/', '@modelcontextprotocol/', 'fastify'],
  credentials: ['judge/', 'policy/', 'guard/', 'proxy/', 'server/', 'evals/', 'tune/', 'cli/', 'runtime/'],
  session: ['guard/', 'proxy/', 'server/', 'evals/', 'tune/', 'cli/', 'runtime/', 'judge/', 'credentials/'],
  guard: ['proxy/', 'server/', 'evals/', 'tune/', 'cli/', 'runtime/', '@modelcontextprotocol/', 'fastify'],
  audit: ['guard/', 'proxy/', 'server/', 'policy/', 'judge/', 'session/', 'evals/', 'tune/', 'cli/', 'runtime/', 'scope/'],
  proxy: ['policy/load', 'policy/engine', 'policy/cel', 'server/', 'evals/', 'tune/', 'cli/'],
  server: ['policy/engine', 'policy/cel', 'scope/', 'evals/', 'tune/', 'cli/'],
  evals: ['proxy/', 'server/', 'tune/', 'cli/', '@modelcontextprotocol/', 'fastify'],
  tune: ['proxy/', 'server/', 'cli/'],
  runtime: ['proxy/', 'server/', 'cli/', 'evals/', 'tune/'],
  config: ['guard/', 'proxy/', 'server/', 'policy/', 'judge/', 'evals/', 'tune/', 'cli/', 'runtime/'],
};

describe('layering', () => {
  it('reads the sources', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.some((f) => f.rel === 'guard/guard.ts')).toBe(true);
  });

  for (const [folder, forbidden] of Object.entries(FORBIDDEN)) {
    it(`${folder}/ imports nothing across the spine`, () => {
      const offending = files
        .filter((f) => f.folder === folder)
        .flatMap((f) => f.imports.filter((i) => forbidden.some((b) => i === b || i.startsWith(b))).map((i) => `${f.rel} imports ${i}`));
      expect(offending).toEqual([]);
    });
  }

  it('nothing in the spine imports the fronts or the CLI', () => {
    const fronts = ['cli/', 'server/', 'proxy/'];
    const offending = files
      .filter((f) => !['cli', 'server', 'proxy'].includes(f.folder))
      .flatMap((f) => f.imports.filter((i) => fronts.some((b) => i.startsWith(b))).map((i) => `${f.rel} imports ${i}`));
    expect(offending).toEqual([]);
  });

  it('process.env is read in src/env.ts only', () => {
    const offending = files.filter((f) => f.rel !== 'env.ts' && /process\.env\b/.test(f.text)).map((f) => f.rel);
    expect(offending).toEqual([]);
  });

  it('Date.now() is called in src/clock.ts only', () => {
    const offending = files.filter((f) => f.rel !== 'clock.ts' && /Date\.now\(\)/.test(f.text)).map((f) => f.rel);
    expect(offending).toEqual([]);
  });

  it('no `export *`: what a module exports is named', () => {
    const offending = files.filter((f) => /^\s*export\s+\*/m.test(f.text)).map((f) => f.rel);
    expect(offending).toEqual([]);
  });

  it('no bare `throw new Error(` in src/', () => {
    const offending = files.filter((f) => /throw\s+new\s+Error\(/.test(f.text)).map((f) => f.rel);
    expect(offending).toEqual([]);
  });
});
