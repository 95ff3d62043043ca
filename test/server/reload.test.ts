import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { POLICY_LIST_CLOSED, POLICY_ONLY, auth, makeFixture, type Fixture } from './fixtures.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

async function listDecision(f: Fixture): Promise<string> {
  const res = await f.app.inject({
    method: 'POST',
    url: '/v1/decide',
    headers: { ...auth(), 'content-type': 'application/json' },
    payload: JSON.stringify({ call: { server: 'fs', tool: 'list', args: {} } }),
  });
  return (res.json() as { decision: string }).decision;
}

async function metric(f: Fixture, result: 'ok' | 'failed'): Promise<number> {
  const res = await f.app.inject({ method: 'GET', url: '/metrics', headers: auth() });
  const m = new RegExp(`intentguard_policy_reloads_total\\{result="${result}"\\} (\\d+)`).exec(res.body);
  return Number(m?.[1] ?? NaN);
}

const DENY_LIST = POLICY_LIST_CLOSED;

describe('policy hot reload', () => {
  it('keeps the last good set when a changed file is invalid, counts and audits the failure, then loads a valid one', async () => {
    fx = await makeFixture();
    const f = fx;
    await f.app.listen({ port: 0, host: '127.0.0.1' }); // onReady starts the watcher
    expect(await listDecision(f)).toBe('allow');

    writeFileSync(f.policyFile, `${POLICY_ONLY}\n  - id: broken\n    effect: nonsense\n`);
    await vi.waitFor(async () => expect(await metric(f, 'failed')).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 50 });
    expect(await listDecision(f)).toBe('allow');
    const admin = (await f.records()).filter((r) => r.type === 'admin' && r.action === 'policy-reload');
    expect(admin.some((r) => r.ok === false)).toBe(true);

    writeFileSync(f.policyFile, DENY_LIST);
    await vi.waitFor(async () => expect(await listDecision(f)).toBe('deny'), { timeout: 10_000, interval: 50 });
    expect(await metric(f, 'ok')).toBeGreaterThanOrEqual(1);
    const healthz = await f.app.inject({ method: 'GET', url: '/healthz' });
    expect(healthz.json()).toMatchObject({ policy: { rules: 3 } });
  });

  it('reloads on demand (what SIGHUP does) and reports a failure without changing the set', async () => {
    fx = await makeFixture({ app: { watchPolicies: false } });
    writeFileSync(fx.policyFile, 'version: 1\nrules: [ {id: x, effect: allow, when: "args.("} ]\n');
    const failed = await fx.app.intentguard.reloadPolicies();
    expect(failed.ok).toBe(false);
    expect(failed.error?.code).toMatch(/^IG_(POLICY_INVALID|CEL_INVALID)$/);
    expect(await listDecision(fx)).toBe('allow');
    // /healthz is open to anyone: it says a reload failed, never where (files and lines of the policy set).
    const unhealthy = (await fx.app.inject({ method: 'GET', url: '/healthz' })).json() as { policy: { lastReload: Record<string, unknown> } };
    expect(unhealthy.policy.lastReload).toEqual({ ok: false, at: expect.any(String) });
    writeFileSync(fx.policyFile, DENY_LIST);
    expect((await fx.app.intentguard.reloadPolicies()).ok).toBe(true);
    expect(await listDecision(fx)).toBe('deny');
    expect(await metric(fx, 'failed')).toBe(1);
    expect(await metric(fx, 'ok')).toBe(1);
    const health = (await fx.app.inject({ method: 'GET', url: '/healthz' })).json() as { policy: { lastReload: { ok: boolean } } };
    expect(health.policy.lastReload.ok).toBe(true);
  });
});
