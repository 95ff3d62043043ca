import path from 'node:path';
import { pino } from 'pino';
import { defaultConfig, loadConfig, type LoadedConfig } from '../config/load.js';
import { resolveSetting } from '../env.js';
import { IntentguardError } from '../errors.js';
import { createRuntime } from '../runtime/runtime.js';
import { buildApp } from '../server/app.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard serve [options]

The HTTP service: MCP Streamable HTTP endpoints in front of the configured
upstreams (/mcp/NAME, and /mcp for all of them with namespaced tools), the
decision API (POST /v1/decide, POST /v1/sessions), /healthz and /metrics.
Prints the listening address on stdout; logs go to stderr. SIGHUP reloads the
policies (so does a change to a policy file); SIGINT/SIGTERM shut down cleanly.

options:
  --config FILE        service configuration (default $INTENTGUARD_CONFIG, else the embedded default)
  --port N             port (default the config's server.port, 8787; 0 picks a free one)
  --host H             address to bind (default the config's server.host, 127.0.0.1)
  --policy PATH        policy file or folder (repeatable; replaces the config's policies)
  --mode enforce|shadow  shadow decides and audits everything but blocks nothing
  --audit FILE         audit log (default $INTENTGUARD_AUDIT, else the config's)
  --judge SPEC         judge for calls policy hands over (default the config's, offline)
  --log-level LEVEL    debug|info|warn|error (default $INTENTGUARD_LOG_LEVEL, else info)
  -h, --help           show this help

exit codes: 0 shut down by a signal, 2 bad usage or configuration.`;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Header and body fields the log must never show, whatever logs them. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["x-intentguard-task"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  '*.authorization',
  '*.token',
  '*.secret',
];

export const serve: Verb = {
  help: HELP,
  async run(argv) {
    const { values } = parseFlags(argv, {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      policy: { type: 'string', multiple: true },
      mode: { type: 'string' },
      audit: { type: 'string' },
      judge: { type: 'string' },
      'log-level': { type: 'string' },
    });
    if (values.mode !== undefined && values.mode !== 'enforce' && values.mode !== 'shadow') {
      throw new IntentguardError('IG_USAGE', `--mode must be enforce or shadow, not ${values.mode}`);
    }
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d+$/.test(values.port) || port > 65535) throw new IntentguardError('IG_USAGE', `--port must be a number from 0 to 65535, not ${values.port}`);
    }
    const level = resolveSetting(values['log-level'], 'INTENTGUARD_LOG_LEVEL', 'info');
    if (!(LEVELS as readonly string[]).includes(level)) throw new IntentguardError('IG_USAGE', `--log-level must be one of ${LEVELS.join(', ')}`);

    const configFile = resolveSetting(values.config, 'INTENTGUARD_CONFIG');
    const loaded: LoadedConfig = configFile ? await loadConfig(configFile) : defaultConfig();
    const logger = pino({ level, redact: { paths: REDACT, censor: '[REDACTED]' } }, pino.destination({ fd: 2, sync: false }));

    const runtime = await createRuntime(loaded, {
      policyPaths: values.policy,
      mode: values.mode as 'enforce' | 'shadow' | undefined,
      auditFile: resolveSetting(values.audit, 'INTENTGUARD_AUDIT'),
      judgeSpec: values.judge,
    });
    let app;
    try {
      app = await buildApp({
        runtime,
        logger,
        baseDir: loaded.file === undefined ? undefined : path.dirname(path.resolve(loaded.file)),
        auditFile: resolveSetting(values.audit, 'INTENTGUARD_AUDIT'),
      });
    } catch (e) {
      await runtime.close();
      throw e;
    }
    const server = loaded.config.server;
    const host = values.host ?? server.host;
    let address: string;
    try {
      address = await app.listen({ host, port: port ?? server.port });
    } catch (e) {
      await app.close();
      await runtime.close();
      throw new IntentguardError('IG_USAGE', `cannot listen on ${host}:${port ?? server.port} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!isLoopback(host) && server.auth.api_keys.length === 0 && server.auth.jwt === undefined) {
      logger.warn('no agent authentication is configured and the service listens beyond loopback: anyone who reaches it can use it');
    }
    process.stdout.write(`intentguard serve: listening on ${address}\n`);
    for (const u of loaded.config.upstreams) process.stdout.write(`  MCP ${u.name}: ${address}/mcp/${u.name}\n`);
    if (loaded.config.upstreams.length > 1) process.stdout.write(`  MCP (all, namespaced): ${address}/mcp\n`);

    const reload = () => void app.intentguard.reloadPolicies();
    process.on('SIGHUP', reload);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.off('SIGHUP', reload);
    logger.info('shutting down');
    // Close upstreams and sessions first, then flush and close the audit log.
    await app.close();
    await runtime.close();
    logger.flush();
    return 0;
  },
};

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

export default serve;
