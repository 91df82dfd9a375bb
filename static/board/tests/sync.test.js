import test from 'node:test';
import assert from 'node:assert/strict';
import { createSync, MAX_CATCH_UP } from '../core/sync.js';

function harness({ log = [], serverSeq = 0, pageSize = Infinity } = {}) {
  const h = {
    seq: 0,
    applied: [],
    loads: 0,
    fetches: [],
    log, // server's events [{seq}]
    serverSeq,
    fail: 0,
  };
  h.sync = createSync({
    seq: () => h.seq,
    apply(events) {
      for (const e of events) {
        if (e.seq === h.seq + 1) {
          h.applied.push(e.seq);
          h.seq = e.seq;
        } else if (e.seq > h.seq + 1) throw new Error(`gap applied ${h.seq} -> ${e.seq}`);
      }
    },
    async load() {
      h.loads += 1;
      h.seq = h.serverSeq;
    },
    async fetchEvents(after, limit) {
      h.fetches.push(after);
      if (h.fail > 0) {
        h.fail -= 1;
        throw new Error('network');
      }
      const size = Math.min(limit, pageSize); // the server may answer fewer than asked
      const events = h.log.filter((e) => e.seq > after).slice(0, size);
      return { events, seq: h.serverSeq, has_more: h.log.filter((e) => e.seq > after).length > size };
    },
    setTimeout: (fn) => queueMicrotask(fn),
  });
  return h;
}

const events = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, type: 'x' }));
const settle = () => new Promise((r) => setTimeout(r, 5));

test('in-order events apply at once; duplicates are ignored', async () => {
  const h = harness();
  h.sync.receive({ seq: 1 });
  h.sync.receive({ seq: 2 });
  h.sync.receive({ seq: 2 });
  h.sync.receive({ seq: 1 });
  assert.deepEqual(h.applied, [1, 2]);
  assert.equal(h.fetches.length, 0);
});

test('a gap fetches /events/?after= and then applies what waited', async () => {
  const h = harness({ log: events(1, 5), serverSeq: 5 });
  h.sync.receive({ seq: 1 });
  h.sync.receive({ seq: 4 }); // 2 and 3 missing
  h.sync.receive({ seq: 5 });
  await settle();
  assert.deepEqual(h.applied, [1, 2, 3, 4, 5]);
  assert.deepEqual(h.fetches, [1]);
});

test('catching up loops while has_more', async () => {
  const h = harness({ log: events(1, 2500), serverSeq: 2500, pageSize: 400 });
  h.seq = 1600;
  h.applied = [];
  await h.sync.hello(2500);
  assert.equal(h.seq, 2500);
  assert.deepEqual(h.fetches, [1600, 2000, 2400]); // pages of 400 while has_more
  assert.equal(h.loads, 0);
});

test('too far behind reloads /state/ instead', async () => {
  const h = harness({ log: events(1, 3000), serverSeq: 3000 });
  h.seq = 10;
  await h.sync.hello(10 + MAX_CATCH_UP + 1);
  assert.equal(h.loads, 1);
  assert.equal(h.seq, 3000);
  const h2 = harness({ log: events(1, 3000), serverSeq: 3000 });
  h2.seq = 10;
  h2.sync.receive({ seq: 2000 });
  await settle();
  assert.equal(h2.loads, 1);
});

test('a reconnect with nothing missed fetches nothing; a smaller server seq reloads', async () => {
  const h = harness({ serverSeq: 3 });
  h.seq = 3;
  await h.sync.hello(3);
  assert.equal(h.fetches.length, 0);
  h.seq = 9; // the server's log went back (a new database)
  await h.sync.hello(3);
  assert.equal(h.loads, 1);
  assert.equal(h.seq, 3);
});

test('events that arrive during a reload are applied after it, duplicates dropped', async () => {
  const h = harness({ log: events(1, 8), serverSeq: 6 });
  const reload = h.sync.reload();
  h.sync.receive({ seq: 5 }); // already in the reloaded state
  h.sync.receive({ seq: 8 }); // 7 is missing: fetched after the reload
  await reload;
  await settle();
  assert.equal(h.loads, 1);
  assert.deepEqual(h.applied, [7, 8]);
});

test('a failed fetch is retried; nothing is skipped', async () => {
  const h = harness({ log: events(1, 4), serverSeq: 4 });
  h.fail = 1;
  h.sync.receive({ seq: 3 });
  await settle();
  await settle();
  assert.deepEqual(h.applied, [1, 2, 3, 4]);
});
