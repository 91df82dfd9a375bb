// The headers' funnel figures in a replay (net/figures.js): which answers may be
// shown for the moment on screen, and the settling that still asks while a replay's
// frames keep coming. The lead quality's query in the past (panels/quality.js).

import test from 'node:test';
import assert from 'node:assert/strict';
import { answerFits, awaitPush, olderThanShown, pushApplies, settling } from '../net/figures.js';
import { periodQuery } from '../panels/quality.js';

const NONE = {};
const WEBINAR = { campaign: [3] };

test('an answer fits the moment it was asked for, and another past moment', () => {
  assert.equal(answerFits({ filters: NONE, asOf: null }, { filters: NONE, asOf: null }), true);
  assert.equal(answerFits({ filters: NONE, asOf: '2026-11-01T10:00:00.000Z' }, { filters: NONE, asOf: '2026-11-01T10:00:00.000Z' }), true);
  // A replay moved on: the moment it passed is nearer than its start.
  assert.equal(answerFits({ filters: NONE, asOf: '2026-11-01T10:00:00.000Z' }, { filters: NONE, asOf: '2026-11-03T08:00:00.000Z' }), true);
});

test('live figures never stand for the past, nor the past for live, nor other filters', () => {
  assert.equal(answerFits({ filters: NONE, asOf: null }, { filters: NONE, asOf: '2026-11-01T10:00:00.000Z' }), false);
  assert.equal(answerFits({ filters: NONE, asOf: '2026-11-01T10:00:00.000Z' }, { filters: NONE, asOf: null }), false);
  assert.equal(answerFits({ filters: NONE, asOf: null }, { filters: WEBINAR, asOf: null }), false);
  assert.equal(answerFits({ filters: WEBINAR, asOf: '2026-11-01T10:00:00.000Z' }, { filters: NONE, asOf: '2026-11-02T10:00:00.000Z' }), false);
});

test('settling: once after a burst, and at least every maxWait while calls keep coming', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let calls = 0;
  const call = settling(() => (calls += 1), { delay: 600, maxWait: 1500, now: () => Date.now() });
  call();
  t.mock.timers.tick(300);
  call();
  t.mock.timers.tick(599);
  assert.equal(calls, 0);
  t.mock.timers.tick(1);
  assert.equal(calls, 1); // 600 ms after the last of the burst
  // A replay: a frame every 100 ms for 3 s.
  calls = 0;
  for (let ms = 0; ms < 3000; ms += 100) {
    call();
    t.mock.timers.tick(100);
  }
  assert.equal(calls, 2); // at 1.5 s and 3 s, not only after the end
  call(0);
  t.mock.timers.tick(0);
  assert.equal(calls, 3);
});

test('the lead quality in the past: as_of, and the period counted back from it', () => {
  const now = Date.parse('2026-12-01T00:00:00.000Z');
  const past = periodQuery('30', now, '2026-11-01T12:00:00.000Z');
  assert.equal(past.get('as_of'), '2026-11-01T12:00:00.000Z');
  assert.equal(past.get('start'), '2026-10-02T12:00:00.000Z');
  assert.equal(periodQuery('all', now, '2026-11-01T12:00:00.000Z').toString(), 'as_of=2026-11-01T12%3A00%3A00.000Z');
  assert.equal(periodQuery('30', now).get('as_of'), null);
});

test('the server pushes the live board without filters; the past and filtered views are asked for', () => {
  assert.equal(pushApplies({ filters: NONE, asOf: null }), true);
  assert.equal(pushApplies({ filters: WEBINAR, asOf: null }), false);
  assert.equal(pushApplies({ filters: NONE, asOf: '2026-11-01T10:00:00.000Z' }), false);
});

test('awaitPush: a push ends the wait; without one, one request after the wait', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let fetched = 0;
  const waiting = awaitPush(() => (fetched += 1), { wait: 5000 });
  waiting.changed();
  t.mock.timers.tick(1000);
  waiting.changed(); // a burst: still one wait, from its first change
  t.mock.timers.tick(900);
  waiting.pushed();
  t.mock.timers.tick(10_000);
  assert.equal(fetched, 0);
  waiting.changed();
  waiting.changed();
  t.mock.timers.tick(4999);
  assert.equal(fetched, 0);
  t.mock.timers.tick(1);
  assert.equal(fetched, 1); // no push came: asked once
});

test('a live answer older than the figures shown never replaces them', () => {
  assert.equal(olderThanShown({ seq: 8 }, { seq: 10 }), true);
  assert.equal(olderThanShown({ seq: 10 }, { seq: 10 }), false);
  assert.equal(olderThanShown({ seq: 11 }, { seq: 10 }), false);
  assert.equal(olderThanShown({ seq: 8 }, null), false);
  assert.equal(olderThanShown({ seq: null }, { seq: 10 }), false);
});
