import type { FastifyPluginAsync } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { API_KEY, auth, makeFixture, sha256Hex, type Fixture } from './fixtures.js';

const LEAKY_SECRET = 'sk-live-0123456789abcdefSECRET';
const logLines: string[] = [];

/** An extra plugin, as the credentials module mounts its JWKS: one route that works, one that fails badly. */
const extra: FastifyPluginAsync = async (app) => {
  app.get('/.well-known/test-extra.json', async () => ({ extra: true }));
  app.get('/boom', async () => {
    throw Object.assign(new Error(`database password ${LEAKY_SECRET} rejected`), { stack: `Error: ${LEAKY_SECRET}\n    at boom (server.js:1:1)` });
  });
};

let fx: Fixture;

beforeAll(async () => {
  fx = await makeFixture({
    config: `server:
  body_limit: 2048
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)} }
`,
    app: { extraPlugins: [extra], logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) },
  });
});
afterAll(async () => {
  await fx.close();
});

function decideCall(args: Record<string, unknown>, tool = 'list') {
  return fx.app.inject({
    method: 'POST',
    url: '/v1/decide',
    headers: { ...auth(), 'content-type': 'application/json' },
    payload: JSON.stringify({ call: { server: 'fs', tool, args } }),
  });
}

describe('HTTP edges', () => {
  it('answers a body over the limit with 413 as JSON', async () => {
    const res = await decideCall({ blob: 'x'.repeat(4096) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'IG_BODY_TOO_LARGE' });
  });

  it('answers unknown routes with 404 as JSON', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'IG_NOT_FOUND', message: 'no such route' });
  });

  it('answers internal errors with 500 and a code, never the message or the stack', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'IG_INTERNAL' });
    expect(res.body).not.toContain(LEAKY_SECRET);
    expect(res.body).not.toContain('server.js');
    // The log has the error, with the secret-looking text redacted.
    expect(logLines.some((l) => l.includes('unhandled error'))).toBe(true);
    expect(logLines.join('\n')).not.toContain(LEAKY_SECRET);
  });

  it('mounts extra plugins (the JWKS endpoint) next to the built-in routes', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/.well-known/test-extra.json' });
    expect(res.json()).toEqual({ extra: true });
  });

  it('reports liveness, the policy set and the audit log on /healthz', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, mode: 'enforce', policy: { rules: 3, sources: 1 }, audit: { writable: true } });
  });

  it('exposes decision counters by outcome and rule on /metrics', async () => {
    await decideCall({ limit: 500 });
    await decideCall({ path: '/srv/data/a' }, 'read_file');
    await decideCall({ path: '/srv/data/a' }, 'delete_file');
    await decideCall({ path: '/srv/data/b' }, 'delete_file');
    const res = await fx.app.inject({ method: 'GET', url: '/metrics', headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(/intentguard_decisions_total\{outcome="narrow",effect="allow",mode="enforce"\} 1\b/);
    expect(text).toMatch(/intentguard_decisions_total\{outcome="allow",effect="allow",mode="enforce"\} 1\b/);
    expect(text).toMatch(/intentguard_decisions_total\{outcome="deny",effect="deny",mode="enforce"\} 2\b/);
    expect(text).toMatch(/intentguard_rule_matches_total\{rule="fs-no-delete",outcome="deny"\} 2\b/);
    expect(text).toMatch(/intentguard_policy_reloads_total\{result="failed"\} 0\b/);
    // No process metrics from the global registry: this app's registry only.
    expect(text).not.toContain('process_cpu');
  });

  it('counts authentication failures', async () => {
    await fx.app.inject({ method: 'POST', url: '/v1/decide', headers: { authorization: 'Bearer wrong' } });
    const res = await fx.app.inject({ method: 'GET', url: '/metrics', headers: auth() });
    expect(res.body).toMatch(/intentguard_auth_failures_total\{reason="invalid"\} [1-9]/);
  });
});

describe('decision metrics', () => {
  it("count each of the guard's decisions once, and stop when the app closes", async () => {
    const f = await makeFixture();
    try {
      const res = await f.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: { ...auth(), 'content-type': 'application/json' },
        payload: JSON.stringify({ call: { server: 'fs', tool: 'delete_file', args: { path: '/srv/data/a' } } }),
      });
      expect(res.statusCode).toBe(200);
      const metrics = f.app.intentguard.metrics;
      const denials = async () => /intentguard_decisions_total\{outcome="deny",effect="deny",mode="enforce"\} (\d+)/.exec((await metrics.exposition()).body)?.[1];
      expect(await denials()).toBe('1');
      await f.app.close();
      // The runtime outlives the app (its caller owns it): its guard no longer reports to the closed app.
      const session = new Session({ id: 's-after-close', task: '', principal: { agent: 'a' } });
      const d = await f.runtime.guard.decide({ sessionId: session.id, call: { server: 'fs', tool: 'delete_file', args: {} }, principal: { agent: 'a' }, task: '' }, session);
      expect(d.decision).toBe('deny');
      expect(await denials()).toBe('1');
    } finally {
      await f.close();
    }
  });
});
