import { IntentguardError } from '../errors.js';
import { appendLabels, describeDecision, flaggedDecisions, parseLabelFlag, reviewInteractive, safeText, writeExport } from '../tune/review.js';
import { readTraffic } from '../tune/traffic.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard review --audit FILE [options]

Goes through flagged decisions and records a human's label for each as a new
audit record ({type: "label", txn, label}); the log stays append-only and its
chain keeps verifying. On a terminal, without --label or --export, it asks
about each flagged decision not labeled yet: [a]llow, [d]eny, [n]arrow,
[s]kip, [q]uit. Otherwise it lists the flagged decisions.

  --audit FILE            the audit log (its hash chain must verify)
  --label TXN=DECISION    record a label: allow, deny or narrow (repeatable)
  --note TEXT             a note stored with every label of this run
  --reviewer NAME         who labels, stored with every label of this run
  --flag F                only decisions with this flag (repeatable: any of them), e.g.
                          judge-denied, judge-narrowed, judge-policy-disagree, judge-failed,
                          low-confidence, approval-asked, tool-changed, human-label
  --export FILE           write every labeled decision as a labeled trace (JSONL) that
                          intentguard eval accepts
  --format text|json      the listing's format (default text)

Do not label a log a running proxy or service is writing: stop it, or review a copy.

exit codes: 0 ok, 2 bad usage, an unknown txn, or an audit log that does not verify.`;

export const review: Verb = {
  help: HELP,
  async run(argv) {
    const { values } = parseFlags(argv, {
      audit: { type: 'string' },
      label: { type: 'string', multiple: true },
      note: { type: 'string' },
      reviewer: { type: 'string' },
      flag: { type: 'string', multiple: true },
      export: { type: 'string' },
      format: { type: 'string', default: 'text' },
    });
    if (!values.audit) throw new IntentguardError('IG_USAGE', '--audit FILE is required');
    if (values.format !== 'text' && values.format !== 'json') throw new IntentguardError('IG_USAGE', `--format must be text or json, not ${values.format}`);
    const file = values.audit;
    const labels = (values.label ?? []).map(parseLabelFlag);
    const meta = { reviewer: values.reviewer, note: values.note };
    let traffic = await readTraffic(file);

    if (labels.length > 0) {
      const records = await appendLabels(file, traffic, labels, meta);
      for (const [i, r] of records.entries()) process.stderr.write(`labeled ${safeText(labels[i]?.txn ?? '', 120)} ${labels[i]?.label} (audit record ${r.seq})\n`);
    } else if (values.export === undefined && process.stdin.isTTY && process.stdout.isTTY) {
      await reviewInteractive(file, traffic, { input: process.stdin, output: process.stdout }, { ...meta, flags: values.flag });
    } else if (values.export === undefined) {
      const flagged = flaggedDecisions(traffic, values.flag ?? []);
      if (values.format === 'json') {
        const rows = flagged.map((d) => ({
          txn: d.txn,
          server: d.call.server,
          tool: d.call.tool,
          decision: d.decision,
          policyEffect: d.policyEffect,
          flags: d.flags,
          label: traffic.labels.get(d.txn)?.label ?? null,
        }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else {
        process.stdout.write(flagged.length === 0 ? 'no flagged decisions\n' : `${flagged.map((d) => describeDecision(d, traffic)).join('\n\n')}\n`);
      }
    }

    if (values.export !== undefined) {
      if (labels.length > 0) traffic = await readTraffic(file);
      const out = await writeExport(values.export, traffic);
      process.stderr.write(`exported ${out.written} labeled trace${out.written === 1 ? '' : 's'} to ${values.export}\n`);
      for (const s of out.skipped) process.stderr.write(`  left out ${safeText(s.txn, 120)}: ${s.reason}\n`);
    }
    return 0;
  },
};

export default review;
