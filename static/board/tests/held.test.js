// A card in the hand (core/held.js, ui/hold.js): a move by someone else while it
// is held is seen from the reducer's state, said in their name, and a drop
// elsewhere asks.

import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvents } from '../core/reducer.js';
import { emptyFilters } from '../core/filters.js';
import { stageName } from '../core/model.js';
import { holdOf, movedWhileHeld, heldNote, mustAsk, overrideQuestion, actorName } from '../core/held.js';
import { createHold } from '../ui/hold.js';
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

// The glue (ui/hold.js) with a fake view and dialog: the note at once, one
// question per drop, asked again when they move it once more meanwhile.

function harness() {
  const store = { state: fresh(), ownSeqs: new Set() };
  const notes = [];
  const asked = [];
  const answers = [];
  const view = { heldCard: null, holdNote: (t) => notes.push(t), heldNoteText: () => notes.at(-1) ?? null };
  const confirm = (text, options) => {
    asked.push({ text, ...options });
    return new Promise((resolve) => answers.push(resolve));
  };
  const hold = createHold({ store, view, me: ME, confirm, announce: () => {} });
  const apply = (...events) => {
    store.state = applyEvents(store.state, events).state;
    hold.events();
  };
  return { store, view, notes, asked, answers, hold, apply };
}

test('the held card is told once per move; a drop where they put it asks nothing', () => {
  const h = harness();
  h.view.heldCard = 2;
  h.hold.held(2);
  h.apply(updated(11, card(2, 1, 1, { version: 2, name: 'Renamed' }), ['name']));
  assert.deepEqual(h.notes, []);
  h.apply(moved(12, card(2, 2, 5, { version: 3 }), 1));
  h.apply(updated(13, card(2, 2, 5, { version: 4, name: 'Again' }), ['name']));
  assert.deepEqual(h.notes, ['Dana Kim moved this to MQL']);
  h.view.heldCard = null;
  assert.equal(h.hold.drop(2, 2), null); // into MQL: only a reorder, no question
});

test('Leave it writes nothing; a second move while asking asks again', async () => {
  const h = harness();
  h.view.heldCard = 2;
  h.hold.held(2);
  h.apply(moved(11, card(2, 2, 5, { version: 2 }), 1));
  h.view.heldCard = null;
  const asking = h.hold.drop(2, 1); // dropped back into New, where it was picked up
  assert.ok(asking);
  assert.equal(h.asked[0].text, 'Dana Kim moved this to MQL while you held it. Move it to New anyway?');
  assert.equal(h.asked[0].cancelLabel, 'Leave it in MQL');
  // They move it again (on to Won) while the dialog is open: Move anyway asks anew.
  h.store.state = applyEvents(h.store.state, [moved(12, card(2, 3, 5, { version: 3 }), 2)]).state;
  h.answers[0](true);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(h.asked.length, 2);
  assert.equal(h.asked[1].cancelLabel, 'Leave it in Won');
  h.answers[1](false);
  assert.equal(await asking, false);
  assert.equal(h.hold.drop(2, 1), null); // the hold ended with its drop
});

test('Move anyway goes on', async () => {
  const h = harness();
  h.view.heldCard = 2;
  h.hold.held(2);
  h.apply(moved(11, card(2, 2, 5, { version: 2 }), 1));
  const asking = h.hold.drop(2, 3);
  h.answers[0](true);
  assert.equal(await asking, true);
});
