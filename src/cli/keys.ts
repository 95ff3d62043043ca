import path from 'node:path';
import { defaultConfig, loadConfig, type LoadedConfig } from '../config/load.js';
import { KEY_RETENTION_SECONDS, KeyStore, SIGNING_ALGORITHMS, type KeyInfo, type SigningAlgorithm } from '../credentials/keys.js';
import { resolveSetting } from '../env.js';
import { IntentguardError, isIntentguardError } from '../errors.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard keys list|rotate [options]

The keys intentguard signs per-call credentials with (<state_dir>/keys/, 0600).
Their public halves are served at /.well-known/jwks.json.

  list     every key: kid, algorithm, status and dates. \`current\` signs;
           \`retired\` is still published so tokens it signed keep verifying;
           \`expired\` is no longer published and goes at the next rotation.
  rotate   makes a new current key. The old one stays in the JWKS for
           ${KEY_RETENTION_SECONDS} s (the longest credential lifetime plus clock tolerance).
           A running service picks the new key up within a second.

options:
  --config FILE        service configuration (default $INTENTGUARD_CONFIG, else the embedded default)
  --state-dir DIR      where the keys live (default the config's state_dir, ./.intentguard)
  --algorithm ALG      rotate: EdDSA or ES256 (default the config's credentials.algorithm;
                       a service configured with another one rotates back when it starts)
  --json               print JSON
  -h, --help           show this help

exit codes: 0 ok, 2 bad usage or configuration.`;

export const keys: Verb = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { config: { type: 'string' }, 'state-dir': { type: 'string' }, algorithm: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    const [action, ...extra] = positionals;
    if ((action !== 'list' && action !== 'rotate') || extra.length > 0) throw new IntentguardError('IG_USAGE', 'give one action: `keys list` or `keys rotate`');
    const configFile = resolveSetting(values.config, 'INTENTGUARD_CONFIG');
    const loaded: LoadedConfig = configFile ? await loadConfig(configFile) : defaultConfig();
    const stateDir = values['state-dir'] ?? loaded.config.state_dir;
    const algorithm = (values.algorithm ?? loaded.config.credentials.algorithm) as SigningAlgorithm;
    if (!SIGNING_ALGORITHMS.includes(algorithm)) throw new IntentguardError('IG_USAGE', `--algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
    const json = values.json === true;

    const existing = await KeyStore.open(stateDir, { algorithm, create: false }).catch((e: unknown) => {
      if (isIntentguardError(e) && e.code === 'IG_CREDENTIAL_ISSUE') return undefined;
      throw e;
    });

    if (action === 'list') {
      const listed = existing?.list() ?? [];
      if (json) process.stdout.write(`${JSON.stringify({ dir: path.join(stateDir, 'keys'), keys: listed.map(toJson) }, null, 2)}\n`);
      else if (listed.length === 0) process.stdout.write(`no keys yet in ${path.join(stateDir, 'keys')} (they are made when the service first starts, or by \`keys rotate\`)\n`);
      else process.stdout.write(table(listed));
      return 0;
    }

    let created: KeyInfo;
    if (existing) {
      created = await existing.rotate(algorithm);
    } else {
      const fresh = await KeyStore.open(stateDir, { algorithm });
      created = fresh.list()[0] as KeyInfo;
    }
    if (json) process.stdout.write(`${JSON.stringify({ rotated: existing !== undefined, key: toJson(created) }, null, 2)}\n`);
    else process.stdout.write(`${existing ? 'rotated: new current key' : 'created the first key'} ${created.kid} (${created.alg})\n`);
    return 0;
  },
};

function toJson(k: KeyInfo): Record<string, unknown> {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    createdAt: new Date(k.createdAt).toISOString(),
    ...(k.retiredAt === undefined ? {} : { retiredAt: new Date(k.retiredAt).toISOString() }),
    ...(k.publishedUntil === undefined ? {} : { publishedUntil: new Date(k.publishedUntil).toISOString() }),
  };
}

function table(list: readonly KeyInfo[]): string {
  const rows = [['KID', 'ALG', 'STATUS', 'CREATED', 'PUBLISHED UNTIL']];
  for (const k of list) {
    rows.push([k.kid, k.alg, k.status, new Date(k.createdAt).toISOString(), k.publishedUntil === undefined ? '-' : new Date(k.publishedUntil).toISOString()]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export default keys;
