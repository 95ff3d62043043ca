import { defaultConfig, loadConfig } from '../config/load.js';
import { resolveSetting } from '../env.js';
import { IntentguardError } from '../errors.js';
import { PinStore } from '../proxy/pins.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard tools list [SERVER] [--config FILE] [--state-dir DIR] [--format text|json]
       intentguard tools approve SERVER TOOL|--all [--config FILE] [--state-dir DIR]

Tool pins: the proxy records a hash of each upstream tool's definition the first
time it sees it; a definition that changes later is hidden from the agent and
its calls are denied until approved here.

  list      show pinned tools, and those whose definition changed (pending approval)
  approve   accept the changed definition of TOOL (or of every changed tool of SERVER with --all)

options:
  --config FILE     service configuration (its state_dir holds the pins)
  --state-dir DIR   the state directory (default the config's state_dir, ./.intentguard)
  --all             approve every changed tool of SERVER
  --format text|json
  -h, --help        show this help

exit codes: 0 ok, 1 nothing to approve, 2 bad usage or a malformed pin file.`;

export const tools: Verb = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        config: { type: 'string' },
        'state-dir': { type: 'string' },
        all: { type: 'boolean' },
        format: { type: 'string', default: 'text' },
      },
      true,
    );
    const [action, ...rest] = positionals;
    if (values.format !== 'text' && values.format !== 'json') throw new IntentguardError('IG_USAGE', `--format must be text or json, not ${values.format}`);
    const configFile = resolveSetting(values.config, 'INTENTGUARD_CONFIG');
    const loaded = configFile ? await loadConfig(configFile) : defaultConfig();
    const pins = PinStore.open(values['state-dir'] ?? loaded.config.state_dir);

    if (action === 'list') {
      if (rest.length > 1) throw new IntentguardError('IG_USAGE', 'tools list takes at most one SERVER');
      const listing = pins.list(rest[0]);
      if (values.format === 'json') {
        process.stdout.write(`${JSON.stringify({ file: pins.file, tools: listing }, null, 2)}\n`);
        return 0;
      }
      if (listing.length === 0) {
        process.stdout.write(`no pinned tools in ${pins.file}\n`);
        return 0;
      }
      for (const t of listing) {
        const detail = t.status === 'changed' ? `CHANGED since ${t.pendingSince} (pinned ${t.hash.slice(0, 12)}, now ${t.pendingHash?.slice(0, 12)})` : `pinned ${t.hash.slice(0, 12)}`;
        process.stdout.write(`${t.server}/${t.tool}  ${detail}\n`);
      }
      const changed = listing.filter((t) => t.status === 'changed').length;
      process.stdout.write(`${listing.length} tool${listing.length === 1 ? '' : 's'}, ${changed} changed${changed > 0 ? ' (approve with `intentguard tools approve SERVER TOOL`)' : ''}\n`);
      return 0;
    }

    if (action === 'approve') {
      const [server, tool, ...extra] = rest;
      if (server === undefined) throw new IntentguardError('IG_USAGE', 'tools approve needs SERVER and TOOL (or --all)');
      if (extra.length > 0 || (tool !== undefined && values.all) || (tool === undefined && !values.all)) {
        throw new IntentguardError('IG_USAGE', 'tools approve takes SERVER and either one TOOL or --all');
      }
      const approved = pins.approve(server, values.all ? undefined : tool);
      if (values.format === 'json') process.stdout.write(`${JSON.stringify({ server, approved })}\n`);
      else if (approved.length === 0) process.stdout.write(`nothing to approve: no changed definition of ${values.all ? `any tool of ${server}` : `${server}/${tool}`}\n`);
      else for (const t of approved) process.stdout.write(`approved ${server}/${t}\n`);
      return approved.length === 0 ? 1 : 0;
    }

    throw new IntentguardError('IG_USAGE', action === undefined ? 'tools needs an action: list or approve' : `unknown tools action '${action}' (list or approve)`);
  },
};

export default tools;
