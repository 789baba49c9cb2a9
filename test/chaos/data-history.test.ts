// The data-plane history checker (data-history.ts) on hand-made histories: a clean one passes, and
// each anomaly a failover can cause is named (lost, duplicate, phantom, reordered, a failed write
// present, an acknowledgement at the wrong offset, an operation never completed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory, type HistoryEvent, type LogRecord } from './data-history.js';

const invoke = (value: number): HistoryEvent => ({ type: 'invoke', value, time: value });
const ok = (value: number, offset: number, offsets = [offset], epoch = 0): HistoryEvent => ({ type: 'ok', value, offset, node: 1, epoch, attempts: offsets.length, offsets, time: value + 1 });
const gaveUp = (type: 'fail' | 'info', value: number): HistoryEvent => ({ type, value, error: 'x', attempts: 1, offsets: [], time: value + 1 });
const rec = (offset: number, value: number | string): LogRecord => ({ offset, value: String(value), leaderEpoch: 0, producerId: 1, sequence: offset });

/** Values 0..n-1 invoked and acknowledged at offsets 0..n-1, and the log that holds them. */
function clean(n: number): { events: HistoryEvent[]; log: LogRecord[] } {
  const events: HistoryEvent[] = [];
  for (let v = 0; v < n; v++) events.push(invoke(v), ok(v, v));
  return { events, log: Array.from({ length: n }, (_, v) => rec(v, v)) };
}

function violations(events: readonly HistoryEvent[], log: readonly LogRecord[]): string {
  return checkHistory(events, log).violations.join('\n');
}

describe('data history checker', () => {
  it('passes a clean history and counts it', () => {
    const { events, log } = clean(5);
    events.push(invoke(5), gaveUp('info', 5), invoke(6), gaveUp('fail', 6), invoke(7), ok(7, 6, [6, 6], 1));
    log.push(rec(5, 5), rec(6, 7));
    const c = checkHistory(events, log);
    assert.deepEqual(c.violations, []);
    assert.deepEqual([c.invoked, c.ok, c.failed, c.info, c.infoPresent, c.okAfterRetry, c.okAsDuplicate, c.logRecords], [8, 6, 1, 1, 1, 1, 1, 7]);
  });

  it('finds a lost acknowledged write', () => {
    const { events, log } = clean(4);
    assert.match(violations(events, log.filter((r) => r.offset !== 2)), /lost: value 2/);
  });

  it('finds a duplicate', () => {
    const { events, log } = clean(3);
    assert.match(violations(events, [...log, rec(3, 1)]), /duplicate: value 1 at offsets 1 and 3/);
  });

  it('finds a phantom and a value no one wrote', () => {
    const { events, log } = clean(2);
    const found = violations(events, [...log, rec(2, 9), rec(3, 'x')]);
    assert.match(found, /phantom: value 9/);
    assert.match(found, /offset 3 holds "x"/);
  });

  it('finds values out of send order', () => {
    const { events } = clean(3);
    assert.match(violations(events, [rec(0, 0), rec(1, 2), rec(2, 1)]), /order: value 1 at offset 2 after value 2/);
  });

  it('finds two values at one offset', () => {
    const { events } = clean(2);
    assert.match(violations(events, [rec(0, 0), rec(0, 1)]), /offset 0 follows offset 0/);
  });

  it('finds a write given up as failed in the log', () => {
    const events = [invoke(0), gaveUp('fail', 0)];
    assert.match(violations(events, [rec(0, 0)]), /given up as never written/);
  });

  it('finds an acknowledgement at another offset than the log has, or two offsets for one value', () => {
    const events = [invoke(0), ok(0, 0), invoke(1), ok(1, 5), invoke(2), ok(2, 2, [3, 2])];
    const found = violations(events, [rec(0, 0), rec(1, 1), rec(2, 2)]);
    assert.match(found, /value 1 was acknowledged at offset 5 but is at offset 1/);
    assert.match(found, /value 2 was acknowledged at different offsets by different attempts: 3, 2/);
  });

  it('finds operations never completed and a producer crash', () => {
    const found = violations([invoke(0), { type: 'crash', error: 'boom', time: 1 }], []);
    assert.match(found, /1 operations never completed/);
    assert.match(found, /crashed: boom/);
  });
});
