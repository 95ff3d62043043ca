import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { EvalJsonContract } from '../evals/contract.js';

const FX = path.join(ROOT, 'test/evals/fixtures');
const SMALL = path.join(FX, 'small.jsonl');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-cli-eval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('intentguard eval (built CLI)', () => {
  it('prints its help', async () => {
    const r = await runCli(['eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: intentguard eval --dataset FILE...');
    expect(r.stdout).toContain('--max-drop');
  });

  it('exits 2 on a malformed dataset line, naming the file, the line and the field', async () => {
    const r = await runCli(['eval', '--dataset', path.join(FX, 'bad-field.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(FX, 'bad-field.jsonl')}:3: call.tool:`);
    expect(r.stderr).toContain('[IG_INPUT_INVALID]');
    expect(r.stdout).toBe('');
    const j = await runCli(['eval', '--dataset', path.join(FX, 'bad-json.jsonl')]);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/bad-json\.jsonl:3(:\d+)?: not valid JSON/);
  });

  it('exits 1 when a gate fails, naming the metric; 0 when gates pass', async () => {
    const fail = await runCli(['eval', '--dataset', SMALL, '--max', 'false_deny_rate<=-1', '--min', 'accuracy>=0']);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/gate failed: offline: false_deny_rate = [\d.]+, not <= -1 \(gate --max false_deny_rate<=-1\) \[IG_EVAL_GATE\]/);
    expect(fail.stderr).not.toContain('accuracy');
    expect(fail.stdout).toContain('FAIL offline: false_deny_rate');
    const pass = await runCli(['eval', '--dataset', SMALL, '--min', 'accuracy>=0', '--max', 'false_allow_rate[indirect-injection]=1']);
    expect(pass.code).toBe(0);
    expect(pass.stderr).toBe('');
  });

  it('prints one JSON object that satisfies the contract, taking extra file arguments as datasets', async () => {
    const r = await runCli(['eval', '--dataset', SMALL, '--judge', 'offline', '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { results: { n: number }[]; datasets: { file: string }[] };
    expect(EvalJsonContract.safeParse(report).error).toBeUndefined();
    expect(report.results[0]?.n).toBe(16);

    // A shell-expanded glob puts further files after one --dataset: they are datasets too.
    const second = path.join(dir, 'second.jsonl');
    await writeFile(second, `${JSON.stringify({ id: 'other-1', task: 'read /a', call: { tool: 'read_text_file', args: { path: '/a' } }, label: { decision: 'allow' } })}\n`);
    const two = await runCli(['eval', '--dataset', SMALL, second, '--format', 'json']);
    expect(two.code).toBe(0);
    const both = JSON.parse(two.stdout) as typeof report;
    expect(both.results[0]?.n).toBe(17);
    expect(both.datasets.map((d) => d.file)).toEqual([SMALL, second]);
  });

  it('writes every report file with --out', async () => {
    const out = path.join(dir, 'out');
    const r = await runCli(['eval', '--dataset', SMALL, '--out', out, '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('## intentguard eval');
    for (const f of ['report.json', 'report.md', 'report.html', 'junit.xml', 'predictions.jsonl', 'journal.jsonl']) {
      expect((await readFile(path.join(out, f), 'utf8')).length).toBeGreaterThan(0);
    }
  });

  it('exits 2 for bad usage', async () => {
    const cases = [
      ['eval'],
      ['eval', '--dataset', SMALL, '--format', 'xml'],
      ['eval', '--dataset', SMALL, '--resume'],
      ['eval', '--dataset', SMALL, '--max-drop', '0.01'],
      ['eval', '--dataset', SMALL, '--repeat', '0'],
      ['eval', '--dataset', SMALL, '--bogus'],
      ['eval', '--dataset', SMALL, '--min', 'speed=1'],
    ];
    const [judge, ...results] = await Promise.all([runCli(['eval', '--dataset', SMALL, '--judge', 'gpt4']), ...cases.map((args) => runCli(args))]);
    results.forEach((r, i) => {
      expect(r.code, cases[i]?.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/\[IG_USAGE\]/);
    });
    expect(judge?.code).toBe(2);
    expect(judge?.stderr).toContain('accepted forms: offline, openai:MODEL');
  });

  it('imports AgentDojo and message traces into datasets the eval accepts', async () => {
    const ad = path.join(dir, 'ad.jsonl');
    const r = await runCli(['eval', 'import', '--from', 'agentdojo', path.join(FX, 'agentdojo-run.json'), '--out', ad]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('3 traces (3 labeled)');
    expect((await readFile(ad, 'utf8')).trim().split('\n')).toHaveLength(3);
    const scored = await runCli(['eval', '--dataset', ad, '--format', 'json']);
    expect(scored.code).toBe(0);
    expect((JSON.parse(scored.stdout) as { results: { n: number }[] }).results[0]?.n).toBe(3);

    const m = await runCli(['eval', 'import', '--from', 'messages', path.join(FX, 'messages.json'), '--labels', path.join(FX, 'messages-labels.json'), '--out', '-']);
    expect(m.code).toBe(0);
    expect(m.stdout.trim().split('\n')).toHaveLength(4);
    const bad = await runCli(['eval', 'import', '--from', 'csv', path.join(FX, 'messages.json'), '--out', '-']);
    expect(bad.code).toBe(2);
  });
});
