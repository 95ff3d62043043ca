import { checkPolicies } from '../policy/check.js';
import type { PolicyCheckReport } from '../policy/check.js';
import { IntentguardError } from '../errors.js';
import { parseFlags } from './verb.js';
import type { Verb } from './verb.js';

const HELP = `usage: intentguard check [PATH...] [--format text|json]

Validates policy files and runs their inline tests. PATH is a policy file or a
directory of *.yaml / *.yml files (default: policies/).

options:
  --format text|json   output format (default text)
  -h, --help           show this help

exit codes: 0 every file valid and every test passed, 1 a test failed,
2 a policy is invalid (the message names file:line and rule) or bad usage.`;

function renderText(report: PolicyCheckReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    lines.push(`${f.file}: ${f.rules} rule${f.rules === 1 ? '' : 's'}, ${f.tests} test${f.tests === 1 ? '' : 's'}`);
    for (const t of report.tests.filter((x) => x.file === f.file)) {
      if (t.ok) lines.push(`  ok    ${t.name}`);
      else lines.push(`  FAIL  ${t.name} (${t.file}:${t.line}): ${t.problems.join('; ')}`);
    }
  }
  const total = report.tests.length;
  lines.push(
    `${report.files.length} file${report.files.length === 1 ? '' : 's'}, ${report.rules} rules, ${total} tests: ${report.passed} passed, ${report.failed} failed`,
  );
  return `${lines.join('\n')}\n`;
}

export const check: Verb = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { format: { type: 'string', default: 'text' } }, true);
    if (values.format !== 'text' && values.format !== 'json') {
      throw new IntentguardError('IG_USAGE', `--format must be text or json, not ${values.format}`);
    }
    const report = await checkPolicies(positionals.length > 0 ? positionals : ['policies/']);
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
    return report.failed > 0 ? 1 : 0;
  },
};

export default check;
