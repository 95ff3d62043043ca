import { z } from 'zod';

/**
 * The service configuration (`--config FILE`, YAML). Strict: an unknown key is
 * an error. Paths are relative to the config file's folder. Secrets are never
 * written inline: they are named by environment variable or file.
 */

const SecretRef = z.union([
  z.strictObject({ env: z.string().min(1).describe('Name of the environment variable holding the secret.') }),
  z.strictObject({ file: z.string().min(1).describe('Path of a file holding the secret (trailing newline trimmed).') }),
]);

const StdioUpstream = z.strictObject({
  command: z.string().min(1).describe('Executable of the stdio MCP server.'),
  args: z.array(z.string()).default([]).describe('Its arguments.'),
  env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables (non-secret).'),
  cwd: z.string().optional().describe('Working directory.'),
});

const HttpUpstream = z.strictObject({
  url: z.url().describe('Streamable HTTP endpoint of the MCP server.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra static, non-secret headers.'),
});

const UpstreamCredentials = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('jwt').describe('A managed, per-call JWT signed by intentguard.') }),
  z.strictObject({
    kind: z.literal('exchange').describe("The user's token exchanged (RFC 8693) at the identity provider, narrowed to the grant."),
  }),
  z.strictObject({
    kind: z.literal('static').describe('Named secrets attached only after the guard allowed the call.'),
    secrets: z.record(z.string(), SecretRef).describe('Secret name → where to read it.'),
    header: z.string().optional().describe('For HTTP upstreams: the header carrying the secret named `token` (default Authorization: Bearer).'),
  }),
]);

const Upstream = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)
      .describe('Server name: what policies match as `server`, and the namespace on the aggregate endpoint.'),
    stdio: StdioUpstream.optional(),
    http: HttpUpstream.optional(),
    audience: z.string().optional().describe('Audience of credentials for this upstream (default urn:intentguard:upstream:NAME).'),
    credentials: UpstreamCredentials.default({ kind: 'none' }),
    pin: z.boolean().default(true).describe('Pin tool definitions on first sight; deny changed tools until approved.'),
  })
  .refine((u) => (u.stdio === undefined) !== (u.http === undefined), { message: 'an upstream has exactly one of `stdio` or `http`' });

const ApiKey = z.strictObject({
  id: z.string().min(1).describe('Key id, recorded as the agent identity.'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe('Hex SHA-256 of the key (preferred: the key itself never sits in the file).'),
  secret: SecretRef.optional().describe('Or: where to read the key.'),
  agent: z.string().optional().describe('Agent name for principals authenticated by this key (default: id).'),
  user: z.string().optional(),
  groups: z.array(z.string()).default([]),
  may_override_principal: z
    .boolean()
    .optional()
    .describe('Let this key name another principal in `/v1/decide` and `/v1/sessions` bodies (an orchestrator key). Default false.'),
});

export const ConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  mode: z.enum(['enforce', 'shadow']).default('enforce').describe('enforce blocks; shadow decides and audits but blocks nothing.'),
  policies: z.array(z.string()).default([]).describe('Policy files or folders; empty means the embedded default.'),
  judge: z
    .strictObject({
      spec: z.string().default('offline').describe('offline | openai:MODEL | anthropic:MODEL | ollama:MODEL | cascade:A>B'),
      prompt: z.string().optional().describe('Prompt file for LLM judges (default prompts/authorize-v1.md).'),
      timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
      include_results: z.boolean().default(false).describe('Show raw tool results to LLM judges (delimited). Off by default.'),
      cache: z
        .strictObject({ size: z.number().int().min(0).default(10_000), ttl_seconds: z.number().int().min(0).default(600) })
        .default({ size: 10_000, ttl_seconds: 600 }),
      low_confidence: z.number().min(0).max(1).default(0.6),
      ask_below_confidence: z.number().min(0).max(1).optional().describe('Send verdicts below this confidence to a human.'),
    })
    .default({ spec: 'offline', timeout_ms: 10_000, include_results: false, cache: { size: 10_000, ttl_seconds: 600 }, low_confidence: 0.6 }),
  session: z
    .strictObject({
      denial_budget: z.number().int().min(0).default(5).describe('Denials before a session is escalated (0: never).'),
      idle_ttl_seconds: z.number().int().min(1).default(3600),
      max_sessions: z.number().int().min(1).default(10_000),
    })
    .default({ denial_budget: 5, idle_ttl_seconds: 3600, max_sessions: 10_000 }),
  audit: z
    .strictObject({
      file: z.string().default('./intentguard-audit.jsonl'),
      durability: z.enum(['batch', 'fsync', 'none']).default('batch').describe('batch: group commit; fsync: per record.'),
    })
    .default({ file: './intentguard-audit.jsonl', durability: 'batch' }),
  deny_detail: z.enum(['reason', 'generic']).default('reason').describe('What a denied agent is told.'),
  approval: z
    .strictObject({
      fallback: z.enum(['deny', 'allow']).default('deny').describe('When the client cannot be asked (no elicitation).'),
      timeout_ms: z.number().int().min(1000).default(120_000),
    })
    .default({ fallback: 'deny', timeout_ms: 120_000 }),
  state_dir: z.string().default('./.intentguard').describe('Tool pins, keys and caches.'),
  upstreams: z.array(Upstream).default([]),
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      body_limit: z.number().int().min(1024).default(1_048_576),
      public_url: z.url().optional().describe('External base URL of the service, for OAuth protected-resource metadata (default: from the request).'),
      max_mcp_sessions: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe('Concurrent MCP sessions over HTTP (each holds its own upstream connections). Default 100.'),
      auth: z
        .strictObject({
          api_keys: z.array(ApiKey).default([]),
          jwt: z
            .strictObject({
              issuer: z.string(),
              audience: z.string(),
              jwks_url: z.url(),
              override_scope: z
                .string()
                .optional()
                .describe('A scope (in the token\'s `scope` claim) that lets the bearer name another principal in request bodies.'),
            })
            .optional(),
          required: z.boolean().default(true).describe('Reject unauthenticated agents (when any method is configured).'),
        })
        .default({ api_keys: [], required: true }),
    })
    .default({ host: '127.0.0.1', port: 8787, body_limit: 1_048_576, auth: { api_keys: [], required: true } }),
  credentials: z
    .strictObject({
      issuer: z.string().default('urn:intentguard'),
      algorithm: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
      ttl_seconds: z.number().int().min(5).max(300).default(60),
      exchange: z
        .strictObject({
          token_endpoint: z.url(),
          client_id: z.string(),
          client_secret: SecretRef.optional(),
          provider_issuer: z
            .string()
            .optional()
            .describe("The identity provider's issuer identifier: the audience of intentguard's actor assertion (default: the token endpoint's origin)."),
          subject_token_type: z
            .string()
            .optional()
            .describe("How the user's token is described to the provider (default urn:ietf:params:oauth:token-type:access_token)."),
          timeout_ms: z.number().int().min(100).max(60_000).default(5000).describe('Time limit of one token exchange.'),
        })
        .optional(),
    })
    .default({ issuer: 'urn:intentguard', algorithm: 'EdDSA', ttl_seconds: 60 }),
});

export type Config = z.infer<typeof ConfigSchema>;
export type UpstreamConfig = z.infer<typeof Upstream>;
export type SecretReference = z.infer<typeof SecretRef>;

/** The JSON Schema of configuration files, for editors (`examples/config.schema.json`). */
export function renderConfigSchema(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
