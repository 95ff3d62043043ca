import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/** The project's own labeled traces stay valid and in step with their generator. */
describe('evals/ traces', () => {
  it('validate: fields, unique ids, tags, real narrowings, balance', () => {
    const r = spawnSync(process.execPath, ['evals/build/validate.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok: \d{3,} traces in 6 files/);
  });

  it('the held-out set validates and matches its generator', () => {
    for (const script of [['evals/heldout/build/validate.mjs'], ['evals/heldout/build/generate.mjs', '--check']]) {
      const r = spawnSync(process.execPath, script, { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, `${script.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('are what the seeded generator writes (no hand edits drift)', () => {
    const r = spawnSync(process.execPath, ['evals/build/generate.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
