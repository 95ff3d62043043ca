import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, parseConfig } from '../../src/config/load.js';
import { renderConfigSchema } from '../../src/config/schema.js';
import { ROOT } from '../helpers/cli.js';

describe('config', () => {
  it('the embedded default: offline judge, judge failure denies (policy default), audit to ./intentguard-audit.jsonl', () => {
    const { config } = defaultConfig();
    expect(config.judge.spec).toBe('offline');
    expect(config.mode).toBe('enforce');
    expect(config.policies).toEqual([]);
    expect(config.audit.file).toBe('./intentguard-audit.jsonl');
  });

  it('the example configuration loads, with paths resolved against its folder', async () => {
    const { config } = await loadConfig(path.join(ROOT, 'examples/intentguard.yaml'));
    expect(config.policies).toEqual([path.join(ROOT, 'policies')]);
    expect(config.audit.file).toBe(path.join(ROOT, 'intentguard-audit.jsonl'));
    expect(config.upstreams.map((u) => u.name)).toEqual(['filesystem', 'crm']);
    expect(config.upstreams[1]?.credentials).toEqual({ kind: 'jwt' });
  });

  it('an unknown key is an error naming file and line', () => {
    const text = 'version: 1\nmode: enforce\njudge:\n  spec: offline\n  temprature: 0\n';
    expect(() => parseConfig('c.yaml', text)).toThrow(expect.objectContaining({ code: 'IG_CONFIG_INVALID', location: expect.objectContaining({ file: 'c.yaml', line: 5 }) }));
  });

  it('bad YAML names the line', () => {
    expect(() => parseConfig('c.yaml', 'version: 1\nmode: [enforce\n')).toThrow(expect.objectContaining({ code: 'IG_CONFIG_INVALID', location: expect.objectContaining({ file: 'c.yaml' }) }));
  });

  it('an upstream must have exactly one of stdio or http', () => {
    const text = 'upstreams:\n  - name: a\n';
    expect(() => parseConfig('c.yaml', text)).toThrow(/exactly one of `stdio` or `http`/);
  });

  it('examples/config.schema.json is what the zod schema generates (scripts/gen-schema.mjs)', () => {
    expect(readFileSync(path.join(ROOT, 'examples/config.schema.json'), 'utf8')).toBe(renderConfigSchema());
  });

  it('the example configuration points editors at the schema', () => {
    expect(readFileSync(path.join(ROOT, 'examples/intentguard.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./config.schema.json');
  });
});
