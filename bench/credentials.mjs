#!/usr/bin/env node
// Per-call credential cost: minting + signing one JWT (EdDSA and ES256), and
// verifying one with `intentguard/verify` against a remote JWKS that is
// already cached (the steady state of a tool server).
// Run after `npm run build`: `node bench/credentials.mjs` (or through bench/run.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JwtIssuer } from '../dist/credentials/jwt.js';
import { KeyStore } from '../dist/credentials/keys.js';
import { createVerifier } from '../dist/credentials/verify.js';

const MINTS = 20_000;
const MINT_WARMUP = 5_000;
const VERIFIES = 5_000;
const VERIFY_WARMUP = 1_000;
const AUDIENCE = 'urn:intentguard:upstream:files';
const ISSUER = 'urn:intentguard:bench';

function request(i) {
  return {
    txn: `txn-${i}`,
    call: { server: 'files', tool: 'read_file', args: { path: `/workspace/reports/q${i % 4}.md`, limit: 500 } },
    grant: { scopes: ['files:read'], args: { path: `/workspace/reports/q${i % 4}.md`, limit: 100 } },
    principal: { agent: 'claude', user: 'alice' },
    audience: AUDIENCE,
    ttlSeconds: 60,
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(samples) {
  const sorted = Float64Array.from(samples).sort();
  const total = samples.reduce((a, b) => a + b, 0);
  return { p50_us: percentile(sorted, 50), p99_us: percentile(sorted, 99), per_s: Math.round((samples.length / total) * 1e6) };
}

async function measure(algorithm, dir) {
  const keys = await KeyStore.open(path.join(dir, algorithm), { algorithm });
  const issuer = new JwtIssuer({ keys, issuer: ISSUER });

  for (let i = 0; i < MINT_WARMUP; i++) issuer.mint(request(i));
  const mint = new Array(MINTS);
  for (let i = 0; i < MINTS; i++) {
    const req = request(i);
    const t = process.hrtime.bigint();
    issuer.mint(req);
    mint[i] = Number(process.hrtime.bigint() - t) / 1000;
  }

  // A tool server's view: intentguard's JWKS over HTTP, fetched once and cached.
  const jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys.jwks())));
  await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r));
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${jwksServer.address().port}/jwks.json` });
  const tokens = [];
  for (let i = 0; i < VERIFY_WARMUP + VERIFIES; i++) {
    const req = request(i);
    tokens.push({ token: issuer.mint(req).secret.reveal(), args: req.grant.args });
  }
  for (let i = 0; i < VERIFY_WARMUP; i++) await verifier.verify(tokens[i].token, { args: tokens[i].args, requiredScopes: ['files:read'] });
  const verify = new Array(VERIFIES);
  for (let i = 0; i < VERIFIES; i++) {
    const { token, args } = tokens[VERIFY_WARMUP + i];
    const t = process.hrtime.bigint();
    await verifier.verify(token, { args, requiredScopes: ['files:read'] });
    verify[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  await new Promise((r) => jwksServer.close(r));
  return { algorithm, mint: summary(mint), verify: summary(verify) };
}

export async function run({ print = true } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ig-bench-keys-'));
  const rows = [];
  try {
    for (const algorithm of ['EdDSA', 'ES256']) rows.push(await measure(algorithm, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (print) {
    const fmt = (n) => n.toFixed(1).padStart(8);
    const out = [
      `mint + sign: ${MINTS.toLocaleString('en-US')} calls after ${MINT_WARMUP.toLocaleString('en-US')} warm-up; verify (signature, claims, args digest, replay cache; JWKS cached): ${VERIFIES.toLocaleString('en-US')} tokens`,
      '',
      '| algorithm | mint p50 (µs) | mint p99 (µs) | mints/s | verify p50 (µs) | verify p99 (µs) | verifies/s |',
      '|-----------|--------------:|--------------:|--------:|----------------:|----------------:|-----------:|',
      ...rows.map(
        (r) =>
          `| ${r.algorithm.padEnd(9)} | ${fmt(r.mint.p50_us)}      | ${fmt(r.mint.p99_us)}      | ${String(r.mint.per_s).padStart(7)} | ${fmt(r.verify.p50_us)}        | ${fmt(r.verify.p99_us)}        | ${String(r.verify.per_s).padStart(10)} |`,
      ),
      '',
      `target: EdDSA mint p99 ≤ 300 µs — ${rows[0].mint.p99_us <= 300 ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
