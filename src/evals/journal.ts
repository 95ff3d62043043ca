import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { IntentguardError } from '../errors.js';
import type { CaseRecord } from './types.js';

const JOURNAL_FORMAT = 1;

const RecordSchema = z.looseObject({
  caseId: z.string(),
  epoch: z.number().int().nonnegative(),
  label: z.looseObject({ decision: z.enum(['allow', 'deny', 'narrow']) }),
  tags: z.array(z.string()),
  decision: z.enum(['allow', 'deny', 'narrow']),
  stage: z.string(),
  latencyMs: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number().nullable(),
  listCostUsd: z.number().nullable(),
  cached: z.boolean(),
  reason: z.string(),
});

const LineSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), format: z.literal(JOURNAL_FORMAT), run: z.string() }),
  z.strictObject({ type: z.literal('result'), cell: z.string(), record: RecordSchema }),
]);

function slot(cellId: string, caseId: string, epoch: number): string {
  return `${cellId}\u0000${caseId}\u0000${epoch}`;
}

/**
 * The run journal (`journal.jsonl` in `--out`): one line per finished call,
 * appended as it finishes, so an interrupted run can continue with `--resume`.
 * The header names the run (a hash of datasets, judges, prompts and options);
 * resuming a different run is refused. On resume only verdicts are reused —
 * calls that failed are tried again — and a torn last line is ignored.
 */
export class RunJournal {
  readonly file: string;
  readonly #done = new Map<string, CaseRecord>();

  private constructor(file: string) {
    this.file = file;
  }

  static async open(dir: string, runKey: string, options: { resume: boolean }): Promise<RunJournal> {
    const file = path.join(dir, 'journal.jsonl');
    const journal = new RunJournal(file);
    mkdirSync(dir, { recursive: true });
    if (options.resume) {
      let text: string | undefined;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        text = undefined;
      }
      if (text !== undefined && text.trim() !== '') {
        journal.#read(text, runKey);
        return journal;
      }
    }
    writeFileSync(file, `${JSON.stringify({ type: 'header', format: JOURNAL_FORMAT, run: runKey })}\n`, { mode: 0o600 });
    return journal;
  }

  #read(text: string, runKey: string): void {
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      if (raw.trim() === '') return;
      let parsed: z.infer<typeof LineSchema> | undefined;
      try {
        const r = LineSchema.safeParse(JSON.parse(raw));
        parsed = r.success ? r.data : undefined;
      } catch {
        parsed = undefined;
      }
      if (i === 0) {
        if (parsed?.type !== 'header' || parsed.run !== runKey) {
          throw new IntentguardError(
            'IG_USAGE',
            'the run journal belongs to a different run (datasets, judges, prompts or options changed); run without --resume to start over',
            { location: { file: this.file, line: 1 } },
          );
        }
        return;
      }
      // A line that does not parse is the torn tail of an interrupted write: that call simply runs again.
      if (parsed?.type !== 'result') return;
      const record = parsed.record as unknown as CaseRecord;
      if (record.error) return;
      this.#done.set(slot(parsed.cell, record.caseId, record.epoch), record);
    });
  }

  /** Calls reusable from the previous attempt. */
  get size(): number {
    return this.#done.size;
  }

  completed(cellId: string, caseId: string, epoch: number): CaseRecord | undefined {
    return this.#done.get(slot(cellId, caseId, epoch));
  }

  /** Appends one finished call. Synchronous, so a record is on disk before the next call is scheduled. */
  append(cellId: string, record: CaseRecord): void {
    appendFileSync(this.file, `${JSON.stringify({ type: 'result', cell: cellId, record })}\n`);
  }
}
