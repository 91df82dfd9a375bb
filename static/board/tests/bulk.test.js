import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvent } from '../core/reducer.js';
import { emptyFilters } from '../core/filters.js';
import { describeEffect } from '../ui/a11y.js';
import { apiState, card, move, bulkMoved, leadsUpdated, archived, restored, erased, ME } from './fixtures.js';

const fresh = () => loadState(apiState(), emptyFilters());
const ids = (state, stage) => state.stages[stage].ids;
const words = { stageName: (id) => ({ 1: 'New', 2: 'MQL', 3: 'Won' })[id], campaignName: () => 'Webinar', me: ME };

test('bulk move (leads.moved, source bulk): cards and figures move, its own effect', () => {
  const r = applyEvent(fresh(), bulkMoved(11, [move(1, 1, 2, -2, 2), move(2, 1, 2, -1, 2)], { actor: ME }));
  assert.deepEqual(ids(r.state, 2), [1, 2, 4]);
  assert.deepEqual(ids(r.state, 1), [3]);
  assert.equal(r.state.stages[1].count, 3);
  assert.equal(r.state.stages[2].count, 3);
  assert.equal(r.state.campaigns[30].stages[2].count, 3);
  assert.equal(r.effects[0].kind, 'bulk-moved');
  assert.equal(describeEffect(r.effects[0], words), '2 leads moved to MQL by you');
});

test('bulk assign (leads.updated): each card as lead.updated, one effect', () => {
  const s = fresh();
  const r = applyEvent(s, leadsUpdated(11, [card(1, 1, 0, { version: 2, owner: 7 }), card(4, 2, 0, { version: 2, owner: 7, value: 1500 })], ['owner']));
  assert.equal(r.state.leads[1].owner, 7);
  assert.equal(r.state.leads[4].owner, 7);
  assert.equal(r.state.stages[2].value, 1500);
  assert.equal(r.effects.length, 1);
  assert.equal(r.effects[0].kind, 'bulk-updated');
});

test('archived: the card leaves and the figures go down; restored: back at its rank', () => {
  const s = fresh();
  const gone = applyEvent(s, archived(11, 2, 1));
  assert.deepEqual(ids(gone.state, 1), [1, 3]);
  assert.equal(gone.state.leads[2], undefined);
  assert.equal(gone.state.stages[1].count, 4);
  assert.equal(gone.state.stages[1].value, 4000);
  assert.equal(gone.state.campaigns[30].stages[1].count, 4);
  assert.equal(gone.refetch, false);
  const back = applyEvent(gone.state, restored(12, card(2, 1, 1, { version: 3 })));
  assert.deepEqual(ids(back.state, 1), [1, 2, 3]);
  assert.equal(back.state.stages[1].count, 5);
  assert.equal(back.state.campaigns[30].stages[1].value, 5000);
  // Not loaded, past a column's loaded page: the server's count decides.
  assert.equal(applyEvent(s, archived(11, 99, 1)).refetch, true);
  // Not loaded, in a whole column: the filters left it out; nothing changes.
  const none = applyEvent(s, archived(11, 98, 2));
  assert.equal(none.refetch, false);
  assert.equal(none.state.stages[2].count, 1);
});

test('erased: an archived lead is already off the board; a live one leaves', () => {
  const s = fresh();
  const live = applyEvent(s, erased(11, 4, 2, false));
  assert.deepEqual(ids(live.state, 2), []);
  assert.equal(live.state.stages[2].count, 0);
  const off = applyEvent(applyEvent(s, archived(11, 4, 2)).state, erased(12, 4, 2, true));
  assert.equal(off.state.stages[2].count, 0);
  assert.equal(describeEffect(off.effects[0], words), 'Dana Kim erased a lead for good');
});
