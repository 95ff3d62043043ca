import { describe, expect, it } from 'vitest';
import { DiscardAudit } from '../../src/audit/discard.js';

describe('DiscardAudit', () => {
  it('numbers the records it is given and keeps none of them', async () => {
    const sink = new DiscardAudit();
    const first = await sink.append({ type: 'decision', txn: 't1', flags: ['judge-denied'] });
    const second = await sink.append({ type: 'outcome', txn: 't1' });
    expect(first).toEqual({ type: 'decision', txn: 't1', flags: ['judge-denied'], seq: 1, ts: '', prev: '', hash: '' });
    expect(second.seq).toBe(2);
    await expect(sink.flush()).resolves.toBeUndefined();
    await expect(sink.close()).resolves.toBeUndefined();
  });
});
