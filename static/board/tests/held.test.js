// A card in the hand (core/held.js): a move by someone else while it is held is
// seen from the reducer's state, said in their name, and a drop elsewhere asks.

import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvents } from '../core/reducer.js';
import { emptyFilters } from '../core/filters.js';
import { stageName } from '../core/model.js';
import { holdOf, movedWhileHeld, heldNote, mustAsk, overrideQuestion, actorName } from '../core/held.js';
import { apiState, card, moved, campaignMoved, bulkMoved, move, updated, ME, DANA } from './fixtures.js';

const fresh = () => loadState(apiState(), emptyFilters());
const names = (state) => (id) => stageName(state, id);

test('a hold remembers where the card was and the seq it began at', () => {
  const s = fresh();
  assert.deepEqual(holdOf(s, 2), { lead: 2, stage: 1, seq: 10 });
  assert.equal(holdOf(s, 99), null);
  assert.equal(holdOf(null, 2), null);
});

test("someone else's move of the held card is seen and said in their name", () => {
  let s = fresh();
  const hold = holdOf(s, 2);
  assert.equal(movedWhileHeld(hold, s), null);
  s = applyEvents(s, [moved(11, card(2, 2, 5, { version: 2 }), 1)]).state;
  const change = movedWhileHeld(hold, s);
  assert.equal(change.to, 2);
  assert.equal(change.from, 1);
  assert.equal(change.seq, 11);
  assert.equal(change.actor.id, DANA.id);
  assert.equal(heldNote(change, names(s), ME), 'Dana Kim moved this to MQL');
});

test('a drop asks only when it takes the card away from where they put it', () => {
  let s = fresh();
  const hold = holdOf(s, 2);
  s = applyEvents(s, [moved(11, card(2, 2, 5, { version: 2 }), 1)]).state;
  const change = movedWhileHeld(hold, s);
  assert.ok(mustAsk(change, 3)); // to Won: overrides their MQL
  assert.ok(mustAsk(change, 1)); // back to New: overrides too
  assert.ok(!mustAsk(change, 2)); // into MQL, where they put it: only a reorder
  assert.ok(!mustAsk(null, 3));
  assert.deepEqual(overrideQuestion(change, 3, names(s), ME), {
    text: 'Dana Kim moved this to MQL while you held it. Move it to Won anyway?',
    confirmLabel: 'Move anyway',
    cancelLabel: 'Leave it in MQL',
  });
});

test('moves before the hold, my own writes, reorders and edits are no conflict', () => {
  let s = applyEvents(fresh(), [moved(11, card(2, 2, 5, { version: 2 }), 1)]).state;
  const hold = holdOf(s, 2); // held after the move: it is where it was picked up
  assert.equal(movedWhileHeld(hold, s), null);
  // This browser's own move (its seq is in ownSeqs).
  const own = applyEvents(s, [moved(12, card(2, 1, 5, { version: 3 }), 2)]).state;
  assert.equal(movedWhileHeld(hold, own, new Set([12])), null);
  assert.ok(movedWhileHeld(hold, own, new Set()));
  // A reorder within the column and an edit of the card.
  const reordered = applyEvents(s, [moved(12, card(2, 2, 9, { version: 3 }), 2)]).state;
  assert.equal(movedWhileHeld(hold, reordered), null);
  const edited = applyEvents(s, [updated(12, card(2, 2, 5, { version: 3, name: 'Renamed' }), ['name'])]).state;
  assert.equal(movedWhileHeld(hold, edited), null);
});

test('away and back again while held: no conflict', () => {
  let s = fresh();
  const hold = holdOf(s, 2);
  s = applyEvents(s, [moved(11, card(2, 2, 5, { version: 2 }), 1), moved(12, card(2, 1, 5, { version: 3 }), 2)]).state;
  assert.equal(movedWhileHeld(hold, s), null);
});

test('a campaign move and a bulk move of the held card count too', () => {
  let s = fresh();
  const hold = holdOf(s, 1);
  const viaCampaign = applyEvents(s, [campaignMoved(11, 30, 1, 2, [move(1, 1, 2, 7, 2)])]).state;
  assert.equal(movedWhileHeld(hold, viaCampaign).to, 2);
  const viaBulk = applyEvents(s, [bulkMoved(11, [move(1, 1, 3, 7, 2)], { actor: ME })]).state;
  const change = movedWhileHeld(hold, viaBulk);
  assert.equal(change.to, 3);
  assert.equal(heldNote(change, names(viaBulk), ME), 'You (in another window) moved this to Won');
});

test('an event without an actor is "Someone"', () => {
  assert.equal(actorName(null, ME), 'Someone');
  assert.equal(actorName({ id: 3, username: 'kim', name: '' }, ME), 'kim');
});
