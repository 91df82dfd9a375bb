// Ranks: byte order, the tie on ids, the rank a drop is expected to get, and
// drops that never move anyone else.
import test from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyBetween } from 'fractional-indexing';
import { compareRanks, rankBetween } from '../core/rank.js';
import { compareCards, loadState, applyEvent } from '../core/reducer.js';
import { buildColumns, dropPosition } from '../core/model.js';
import { emptyFilters } from '../core/filters.js';
import { apiState, card, moved, rank } from './fixtures.js';

test('ranks compare by their bytes, not by language', () => {
  const keys = ['a1', 'Zz', 'a0V', 'Y00', 'b00', 'a0', 'aZ'];
  assert.deepEqual([...keys].sort(compareRanks), ['Y00', 'Zz', 'a0', 'a0V', 'a1', 'aZ', 'b00']);
  // A language order (localeCompare) puts "a0" before "Zz": not what the database does.
  assert.notDeepEqual([...keys].sort((a, b) => a.localeCompare(b)), [...keys].sort(compareRanks));
  assert.equal(compareRanks('a0', 'a0'), 0);
});

test('cards sharing a rank are ordered by id', () => {
  const cards = [card(9, 1, 'a1'), card(3, 1, 'a1'), card(5, 1, 'a0V'), card(1, 1, 'a2')];
  assert.deepEqual(cards.sort(compareCards).map((c) => c.id), [5, 3, 9, 1]);
});

test('rankBetween is the algorithm; neighbours sharing a rank give that rank', () => {
  assert.equal(rankBetween(null, null), 'a0');
  assert.equal(rankBetween('a0', 'a1'), generateKeyBetween('a0', 'a1'));
  assert.equal(rankBetween(null, 'a0'), 'Zz');
  assert.equal(rankBetween('az', null), 'b00');
  assert.equal(rankBetween('a1', 'a1'), 'a1');
});

test('the fixtures\' rank(n) keeps the order of the numbers', () => {
  const numbers = [-62, -10, -1, 0, 0.5, 1, 1.5, 61, 62, 99, 3905];
  const keys = numbers.map(rank);
  assert.deepEqual([...keys].sort(compareRanks), keys);
  for (const key of keys) generateKeyBetween(key, null); // each is a valid key
});

test('a second drop into the same gap while the first is in flight lands between them', () => {
  const s = loadState(apiState(), emptyFilters()); // New [1 2 3 | more]
  const pending = new Map();
  const newIds = () => buildColumns(s, { pending })[0].ids;
  // Drop 4 (from MQL) between 1 and 2, then 60 between 1 and 4.
  pending.set(4, { card: s.leads[4], from: 2, to: 1, position: dropPosition(s, pending, newIds(), 4, 1) });
  assert.deepEqual(newIds(), [1, 4, 2, 3]);
  const other = card(60, 2, 5);
  const s2 = { ...s, leads: { ...s.leads, 60: other } };
  pending.set(60, { card: other, from: 2, to: 1, position: dropPosition(s2, pending, buildColumns(s2, { pending })[0].ids, 60, 1) });
  assert.deepEqual(buildColumns(s2, { pending })[0].ids, [1, 60, 4, 2, 3]);
  assert.ok(compareRanks(s.leads[1].position, pending.get(60).position) < 0);
  assert.ok(compareRanks(pending.get(60).position, pending.get(4).position) < 0);
});

test('many drops into one gap: each event moves its card only', () => {
  // MQL [4]; New [1 2 3 | more]. Cards dropped one after another right below 1.
  let s = loadState(apiState(), emptyFilters());
  let seq = s.seq;
  let below = s.leads[2].position;
  const expected = [];
  for (let n = 0; n < 40; n += 1) {
    const id = 100 + n;
    const position = rankBetween(s.leads[1].position, below);
    below = position;
    // A card created in MQL (not loaded before), then dropped into New.
    s = applyEvent(s, { type: 'lead.created', seq: ++seq, at: 'x', actor: null, lead: card(id, 2, rank(1 + n)), transition: 1 }).state;
    const before = { ...s.leads };
    s = applyEvent(s, moved(++seq, card(id, 1, position, { version: 2 }), 2)).state;
    expected.unshift(id);
    assert.deepEqual(s.stages[1].ids, [1, ...expected, 2, 3]);
    for (const other of [1, 2, 3, ...expected.slice(1)]) assert.equal(s.leads[other], before[other]);
  }
  assert.ok(below.length < 15, below);
});
