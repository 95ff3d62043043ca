import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDatasets, parseDataset, parseTraceText } from '../../src/evals/dataset.js';
import { expandDatasetPaths } from '../../src/evals/eval.js';
import { IntentguardError } from '../../src/errors.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

const ok = (id: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ id, task: 'read the file', call: { tool: 'read_text_file', args: { path: '/a' } }, label: { decision: 'allow' }, ...extra });

function parseError(text: string, file = 'd.jsonl'): IntentguardError {
  try {
    parseDataset(Buffer.from(text), file);
  } catch (e) {
    expect(e).toBeInstanceOf(IntentguardError);
    return e as IntentguardError;
  }
  throw new Error('expected the dataset to be rejected');
}

describe('dataset loader', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ig-ds-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the fixture, skips blank lines, fills defaults and hashes the bytes', async () => {
    const file = path.join(FIXTURES, 'small.jsonl');
    const { datasets, cases } = await loadDatasets([file]);
    expect(cases).toHaveLength(16);
    const bytes = await readFile(file);
    expect(datasets).toEqual([{ file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, cases: 16 }]);
    const fx5 = cases.find((c) => c.id === 'fx-05');
    expect(fx5?.label).toEqual({ decision: 'narrow', args: { path: '/workspace/reports' } });
    expect(fx5?.origin).toEqual({ file, line: 5 });

    const minimal = parseDataset(Buffer.from(`\n${ok('m1')}\n\n   \n${ok('m2')}\r\n`), 'x.jsonl');
    expect(minimal.map((c) => [c.id, c.origin.line])).toEqual([
      ['m1', 2],
      ['m2', 5],
    ]);
    expect(minimal[0]).toMatchObject({ principal: {}, history: [], tools: [], tags: [], call: { server: '' } });
  });

  it('accepts a byte-order mark on the first line', () => {
    expect(parseDataset(Buffer.from(`\ufeff${ok('bom')}\n`), 'x.jsonl')).toHaveLength(1);
  });

  it('names file, line and field for a missing required field', async () => {
    await expect(loadDatasets([path.join(FIXTURES, 'bad-field.jsonl')])).rejects.toMatchObject({
      code: 'IG_INPUT_INVALID',
      location: { file: path.join(FIXTURES, 'bad-field.jsonl'), line: 3, path: 'call.tool' },
    });
  });

  it('names the line and column of a JSON syntax error', async () => {
    const err = (await loadDatasets([path.join(FIXTURES, 'bad-json.jsonl')]).catch((e: unknown) => e)) as IntentguardError;
    expect(err).toBeInstanceOf(IntentguardError);
    expect(err.code).toBe('IG_INPUT_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.location?.line).toBe(3);
    expect(err.describe()).toMatch(/bad-json\.jsonl:3(:\d+)?: not valid JSON/);
  });

  it.each([
    ['no label', JSON.stringify({ id: 'a', task: 't', call: { tool: 'x', args: {} } }), 'label'],
    ['bad decision', ok('a', { label: { decision: 'maybe' } }), 'label.decision'],
    ['narrow without args or scopes', ok('a', { label: { decision: 'narrow' } }), 'label'],
    ['misspelt key', ok('a', { lable: { decision: 'allow' } }), ''],
    ['args not an object', JSON.stringify({ id: 'a', task: 't', call: { tool: 'x', args: [1] }, label: { decision: 'deny' } }), 'call.args'],
    ['empty task', ok('a', { task: '' }), 'task'],
    ['history result not text', ok('a', { history: [{ tool: 'r', args: {}, result: { x: 1 } }] }), 'history.0.result'],
    ['not an object', '[1,2]', undefined],
  ])('rejects %s', (_name, line, field) => {
    const err = parseError(`${ok('first')}\n${line}\n`);
    expect(err.code).toBe('IG_INPUT_INVALID');
    expect(err.location?.line).toBe(2);
    expect(err.location?.file).toBe('d.jsonl');
    if (field) expect(err.location?.path).toBe(field);
    expect(err.describe()).toMatch(/^d\.jsonl:2/);
  });

  it('names the unknown key when a key is misspelt', () => {
    expect(parseError(ok('a', { lable: { decision: 'allow' } })).message).toMatch(/lable/);
  });

  it('rejects nesting deeper than the limit without recursing', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const err = parseError(ok('a', { call: { tool: 't', args: { deep } } }));
    expect(err.message).toMatch(/nested deeper/);
    expect(err.location?.path).toMatch(/^call\.args\.deep/);
  });

  it('rejects a duplicate id within a file and across files, naming both places', async () => {
    expect(parseError(`${ok('same')}\n${ok('same')}\n`).message).toMatch(/duplicate case id 'same' \(first at line 1\)/);
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    await writeFile(a, `${ok('x1')}\n${ok('dup')}\n`);
    await writeFile(b, `${ok('dup')}\n`);
    const err = (await loadDatasets([a, b]).catch((e: unknown) => e)) as IntentguardError;
    expect(err.code).toBe('IG_INPUT_INVALID');
    expect(err.location).toMatchObject({ file: b, line: 1 });
    expect(err.message).toContain(`${a}:2`);
  });

  it('reports a missing file as bad input naming it', async () => {
    await expect(loadDatasets([path.join(dir, 'nope.jsonl')])).rejects.toMatchObject({ code: 'IG_INPUT_INVALID', location: { file: path.join(dir, 'nope.jsonl') } });
  });

  it('expands a quoted glob in the last segment, sorted', async () => {
    await writeFile(path.join(dir, 'b.jsonl'), `${ok('b')}\n`);
    await writeFile(path.join(dir, 'a.jsonl'), `${ok('a')}\n`);
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    expect(await expandDatasetPaths([path.join(dir, '*.jsonl')])).toEqual([path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')]);
    await expect(expandDatasetPaths([path.join(dir, '*.csv')])).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
  });

  describe('one trace from a file (for `decide`)', () => {
    const unlabeled = { id: 'u1', task: 'read /a', call: { tool: 'read_text_file', args: { path: '/a' } } };

    it('reads a one-line trace or a pretty-printed one, label optional', () => {
      const one = parseTraceText(`\n${JSON.stringify(unlabeled)}\n`, 't.jsonl');
      expect(one).toMatchObject({ id: 'u1', task: 'read /a', history: [], tools: [], origin: { file: 't.jsonl', line: 2 } });
      expect(one.label).toBeUndefined();
      const pretty = parseTraceText(JSON.stringify({ ...unlabeled, label: { decision: 'deny' } }, null, 2), 't.json');
      expect(pretty.label).toEqual({ decision: 'deny' });
      expect(pretty.origin).toEqual({ file: 't.json' });
    });

    it('names the line of an error where it knows it', () => {
      expect(() => parseTraceText('', 'e.json')).toThrow(expect.objectContaining({ code: 'IG_INPUT_INVALID' }));
      expect(() => parseTraceText(`${JSON.stringify(unlabeled)}\n${JSON.stringify(unlabeled)}\n`, 'two.jsonl')).toThrow(
        expect.objectContaining({ location: { file: 'two.jsonl', line: 2 }, message: expect.stringMatching(/more than one/) }),
      );
      const broken = '{\n  "id": "x",\n  "task": oops\n}';
      // V8 gives no position for most syntax errors in a multi-line document: the file is named, with the parser's excerpt.
      expect(() => parseTraceText(broken, 'b.json')).toThrow(
        expect.objectContaining({ location: expect.objectContaining({ file: 'b.json' }), message: expect.stringMatching(/^not valid JSON: .*oops/s) }),
      );
      expect(() => parseTraceText(JSON.stringify({ ...unlabeled, call: { args: {} } }), 'f.json')).toThrow(
        expect.objectContaining({ location: { file: 'f.json', line: 1, path: 'call.tool' } }),
      );
    });
  });
});
