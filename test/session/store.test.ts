import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { IntentguardError } from '../../src/errors.js';
import { SessionStore } from '../../src/session/store.js';

const alice = { agent: 'agent-1', user: 'alice' };

describe('SessionStore', () => {
  it('creates a session once and returns the same one after', () => {
    const store = new SessionStore({ clock: new ManualClock() });
    const a = store.getOrCreate('s1', { task: 'task one', principal: alice });
    const b = store.getOrCreate('s1', { task: 'task one', principal: alice });
    expect(b).toBe(a);
    expect(store.get('s1')).toBe(a);
    expect(store.get('unknown')).toBeUndefined();
  });

  it('replaces the task when the orchestrator sends a newer one', () => {
    const store = new SessionStore({ clock: new ManualClock() });
    store.getOrCreate('s1', { task: 'first', principal: alice });
    const s = store.getOrCreate('s1', { task: 'second task', principal: alice });
    expect(s.task).toBe('second task');
    // An empty task does not wipe the current one.
    expect(store.getOrCreate('s1', { task: '', principal: alice }).task).toBe('second task');
  });

  it('refuses a session id presented by another principal', () => {
    const store = new SessionStore({ clock: new ManualClock() });
    store.getOrCreate('s1', { task: 't', principal: alice });
    let err: unknown;
    try {
      store.getOrCreate('s1', { task: 't', principal: { agent: 'agent-1', user: 'mallory' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IntentguardError);
    expect((err as IntentguardError).code).toBe('IG_FORBIDDEN');
  });

  it('forgets a session idle longer than the TTL, on the injected clock', () => {
    const clock = new ManualClock();
    const store = new SessionStore({ clock, idleTtlMs: 60_000 });
    const s = store.getOrCreate('s1', { task: 't', principal: alice });
    clock.advance(59_000);
    expect(store.get('s1')).toBe(s);
    // Reading refreshes the idle timer.
    clock.advance(59_000);
    expect(store.get('s1')).toBe(s);
    clock.advance(60_001);
    expect(store.get('s1')).toBeUndefined();
    expect(store.getOrCreate('s1', { task: 't', principal: alice })).not.toBe(s);
  });

  it('drops the least recently used session when full', () => {
    const store = new SessionStore({ clock: new ManualClock(), max: 2 });
    store.getOrCreate('a', { task: 't', principal: alice });
    store.getOrCreate('b', { task: 't', principal: alice });
    store.get('a');
    store.getOrCreate('c', { task: 't', principal: alice });
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toBeDefined();
    expect(store.get('c')).toBeDefined();
    expect(store.size).toBe(2);
  });

  it('passes the denial budget to new sessions', () => {
    const store = new SessionStore({ clock: new ManualClock(), denialBudget: 1 });
    const s = store.getOrCreate('s', { task: 't', principal: alice });
    expect(s.recordDenial()).toBe(true);
    expect(s.escalated).toBe(true);
  });

  it('deletes a session on request', () => {
    const store = new SessionStore({ clock: new ManualClock() });
    store.getOrCreate('s', { task: 't', principal: alice });
    expect(store.delete('s')).toBe(true);
    expect(store.get('s')).toBeUndefined();
  });
});
