import test from 'node:test';
import assert from 'node:assert/strict';
import { leadIdsOf, travelsOf } from '../canvas/travels.js';
import { createStore, settlePending, followedSeq } from '../core/store.js';

const me = { id: 1 };
const dana = { id: 2, name: 'Dana Kim' };

test('a move by someone else travels labelled with their first name; my own dropped move does not travel again', () => {
  const effects = [
    { kind: 'moved', lead: 10, to: 3, event: { seq: 5, actor: dana } },
    { kind: 'moved', lead: 11, to: 4, event: { seq: 6, actor: me } },
    { kind: 'moved', lead: 12, to: 4, event: { seq: 7, actor: me, source: 'undo' } },
  ];
  const travels = travelsOf(effects, { me, before: new Map(), ownSeqs: new Set([6]) });
  assert.deepEqual(travels, [
    { lead: 10, to: 3, label: 'moved by Dana' },
    { lead: 12, to: 4, label: 'undone' },
  ]);
});

test("a batch labels only its first card drawn before; Replay without labels shows none", () => {
  const event = { seq: 9, actor: dana, moves: [{ lead: 20, to_stage: 2 }, { lead: 21, to_stage: 2 }, { lead: 22, to_stage: 2 }] };
  const before = new Map([[21, {}], [22, {}]]);
  const effects = [{ kind: 'batch', event }, { kind: 'created', shown: true, lead: 30, to: 1, event: { seq: 10, actor: dana } }];
  assert.deepEqual(travelsOf(effects, { me, before, ownSeqs: new Set() }), [
    { lead: 20, to: 2, label: null },
    { lead: 21, to: 2, label: 'moved by Dana' },
    { lead: 22, to: 2, label: null },
    { lead: 30, to: 1, label: 'added by Dana' },
  ]);
  const replayed = travelsOf(effects, { me, before, ownSeqs: new Set([9]), replay: true, labels: false });
  assert.equal(replayed.length, 4);
  assert.ok(replayed.every((t) => t.label === null));
  assert.deepEqual([...leadIdsOf([event, { lead: { id: 30 } }])], [20, 21, 22, 30]);
});

test('the store settles moves the state has reached and follows no log in the past', () => {
  const store = createStore({});
  assert.equal(followedSeq(store), 0);
  store.state = { seq: 7 };
  store.pending.set(1, { awaitSeq: 7 }).set(2, { awaitSeq: 8 }).set(3, { awaitSeq: Infinity });
  settlePending(store);
  assert.deepEqual([...store.pending.keys()], [2, 3]);
  assert.equal(followedSeq(store), 7);
  store.asOf = '2026-01-01T00:00:00.000Z';
  assert.equal(followedSeq(store), Number.MAX_SAFE_INTEGER);
});
