import { IntentguardError } from '../errors.js';
import { renderTuneText } from '../tune/render.js';
import { runTune } from '../tune/tune.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard tune --audit FILE [--policy PATH]... [options]

Proposes policy changes from the decisions in an audit log, replays each on
the logged traffic and checks each against eval datasets:

  deny       a deterministic deny where the judge denied a pattern consistently
  allow      a fast path where the judge allowed a pattern consistently and surely
             (with the judge calls and latency it saves on this traffic)
  boundary   a tighter argument constraint where every call let through stayed
             inside a narrower directory, amount or set of domains
  fix        a rule with the human's decision where review labels overrode the log

  --audit FILE           the audit log (its hash chain must verify)
  --policy PATH          the policy files or directories in force (repeatable;
                         default: the embedded default, every call to the judge)
  --dataset FILE         labeled traces (repeatable): a proposal that lowers balanced
                         accuracy or raises the false-allow rate (pipeline mode, offline
                         judge) is rejected, naming malicious cases it lets through
  --write DIR            a new or empty directory: copies of the policies, tuned.yaml with
                         the accepted rules and their inline tests, and schema.json
  --format text|json     output (default text)
  --min-support N        judged calls a pattern needs (default 10)
  --min-confidence X     least confidence of the verdicts behind a fast path (default 0.9)
  --min-agreement X      share of a pattern's verdicts that must agree (default 1)
  --denial-budget N      denials before a session escalates, as configured when the traffic
                         was logged (default 5), for the replay

Judge calls saved count calls on the decision path (enforce mode); shadow mode's
comparison calls are not counted.

exit codes: 0 ok, 1 the written set fails its inline tests or the accepted proposals
together worsen the datasets, 2 bad usage or input.`;

function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new IntentguardError('IG_USAGE', `--${name} must be a number, not ${JSON.stringify(value)}`);
  return n;
}

export const tune: Verb = {
  help: HELP,
  async run(argv) {
    const { values } = parseFlags(argv, {
      audit: { type: 'string' },
      policy: { type: 'string', multiple: true },
      dataset: { type: 'string', multiple: true },
      write: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'min-support': { type: 'string' },
      'min-confidence': { type: 'string' },
      'min-agreement': { type: 'string' },
      'denial-budget': { type: 'string' },
    });
    if (!values.audit) throw new IntentguardError('IG_USAGE', '--audit FILE is required');
    if (values.format !== 'text' && values.format !== 'json') throw new IntentguardError('IG_USAGE', `--format must be text or json, not ${values.format}`);
    const report = await runTune({
      audit: values.audit,
      policy: values.policy ?? [],
      datasets: values.dataset ?? [],
      write: values.write,
      minSupport: numberFlag('min-support', values['min-support']),
      minConfidence: numberFlag('min-confidence', values['min-confidence']),
      minAgreement: numberFlag('min-agreement', values['min-agreement']),
      denialBudget: numberFlag('denial-budget', values['denial-budget']),
    });
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderTuneText(report));
    const combinedWorse = report.combined.gateFailures;
    for (const f of combinedWorse) process.stderr.write(`intentguard tune: the accepted proposals together ${f}; nothing was written\n`);
    return report.combined.check.failed > 0 || combinedWorse.length > 0 ? 1 : 0;
  },
};

export default tune;
