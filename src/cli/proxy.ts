import { defaultConfig, loadConfig, type LoadedConfig } from '../config/load.js';
import { resolveSetting } from '../env.js';
import { IntentguardError } from '../errors.js';
import { streamLog } from '../proxy/log.js';
import { deriveServerName, startStdioProxy } from '../proxy/stdio.js';
import { createRuntime } from '../runtime/runtime.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard proxy [options] -- CMD [ARG...]

A stdio MCP proxy in front of one stdio MCP server: use it as the \`command\`
and \`args\` of an MCP client's server entry. Every tools/call goes through the
guard; everything else passes through. Only JSON-RPC is written to stdout; logs
go to stderr.

options:
  --config FILE        service configuration (default $INTENTGUARD_CONFIG, else the embedded default)
  --policy PATH        policy file or folder (repeatable; replaces the config's policies)
  --task TEXT          the session's task when calls carry none (default $INTENTGUARD_TASK)
  --mode enforce|shadow  shadow decides and audits everything but blocks nothing
  --audit FILE         audit log (default $INTENTGUARD_AUDIT, else the config's)
  --judge SPEC         judge for calls policy hands over (default the config's, offline)
  --server NAME        the upstream's name as policies match it (default: derived from CMD,
                       or the config's upstream of that name when no CMD is given)
  --state-dir DIR      where tool pins live (default the config's state_dir)
  --no-pin             do not pin tool definitions
  --max-frame N        largest client message in characters (default 4194304); larger ones are refused
  --log-level LEVEL    debug|info|warn|error (default $INTENTGUARD_LOG_LEVEL, else warn)
  -h, --help           show this help

exit codes: 0 the client closed the connection, 2 bad usage or configuration.`;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const proxy: Verb = {
  help: HELP,
  async run(argv) {
    const sep = argv.indexOf('--');
    const flagArgs = sep === -1 ? argv : argv.slice(0, sep);
    const command = sep === -1 ? [] : argv.slice(sep + 1);
    const { values, positionals } = parseFlags(
      flagArgs,
      {
        config: { type: 'string' },
        policy: { type: 'string', multiple: true },
        task: { type: 'string' },
        mode: { type: 'string' },
        audit: { type: 'string' },
        judge: { type: 'string' },
        server: { type: 'string' },
        'state-dir': { type: 'string' },
        'no-pin': { type: 'boolean' },
        'max-frame': { type: 'string' },
        'log-level': { type: 'string' },
      },
      true,
    );
    if (positionals.length > 0) throw new IntentguardError('IG_USAGE', `put the server command after \`--\` (got ${positionals[0]})`);
    if (values.mode !== undefined && values.mode !== 'enforce' && values.mode !== 'shadow') {
      throw new IntentguardError('IG_USAGE', `--mode must be enforce or shadow, not ${values.mode}`);
    }
    const maxFrame = values['max-frame'] === undefined ? undefined : Number(values['max-frame']);
    if (maxFrame !== undefined && (!Number.isInteger(maxFrame) || maxFrame < 1024)) throw new IntentguardError('IG_USAGE', '--max-frame must be an integer of at least 1024');
    const level = resolveSetting(values['log-level'], 'INTENTGUARD_LOG_LEVEL', 'warn');
    if (!(LEVELS as readonly string[]).includes(level)) throw new IntentguardError('IG_USAGE', `--log-level must be one of ${LEVELS.join(', ')}`);

    const configFile = resolveSetting(values.config, 'INTENTGUARD_CONFIG');
    const loaded: LoadedConfig = configFile ? await loadConfig(configFile) : defaultConfig();

    let cmd = command[0];
    let args = command.slice(1);
    let env: Record<string, string> | undefined;
    let cwd: string | undefined;
    let server = values.server;
    if (cmd === undefined) {
      const upstreams = loaded.config.upstreams.filter((u) => u.stdio !== undefined);
      const chosen = server === undefined ? (upstreams.length === 1 ? upstreams[0] : undefined) : upstreams.find((u) => u.name === server);
      if (!chosen?.stdio) {
        throw new IntentguardError('IG_USAGE', 'no server to proxy: give `-- CMD [ARG...]`, or --server NAME of a stdio upstream in --config');
      }
      cmd = chosen.stdio.command;
      args = [...chosen.stdio.args];
      env = { ...chosen.stdio.env };
      cwd = chosen.stdio.cwd;
      server = chosen.name;
    }
    server ??= deriveServerName(cmd, args);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(server)) throw new IntentguardError('IG_USAGE', `--server must be a simple name (letters, digits, - and _), not ${server}`);
    const upstreamConfig = loaded.config.upstreams.find((u) => u.name === server);

    const runtime = await createRuntime(loaded, {
      policyPaths: values.policy,
      mode: values.mode as 'enforce' | 'shadow' | undefined,
      auditFile: resolveSetting(values.audit, 'INTENTGUARD_AUDIT'),
      judgeSpec: values.judge,
    });
    const log = streamLog((line) => process.stderr.write(line), level as (typeof LEVELS)[number]);
    const router = await startStdioProxy({
      runtime,
      server,
      command: cmd,
      args,
      env,
      cwd,
      task: resolveSetting(values.task, 'INTENTGUARD_TASK'),
      pin: values['no-pin'] ? false : (upstreamConfig?.pin ?? true),
      stateDir: values['state-dir'],
      maxFrame,
      log,
    });
    const stop = () => void router.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await router.done;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await runtime.close();
    process.stdin.destroy();
    return 0;
  },
};

export default proxy;
