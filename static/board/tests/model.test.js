import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvent } from '../core/reducer.js';
import { buildColumns, cardFor, campaignCostMissing, defaultFolded, dropPosition, pickableCampaigns, stageOrderAfterDrop, wipState } from '../core/model.js';
import { rankBetween } from '../core/rank.js';
import { emptyFilters } from '../core/filters.js';
import { apiState, card, campaignUpdated, moved } from './fixtures.js';

const state = () => loadState(apiState(), emptyFilters());

test('columns in funnel order with figures, chips by count, conversion when known', () => {
  const funnel = { stages: [{ id: 1, conversion_to_next: 0.41, median_days: 6.2 }, { id: 2, conversion_to_next: 0.3, median_days: 3 }, { id: 3, conversion_to_next: null, median_days: null }] };
  const cols = buildColumns(state(), { funnel, folded: new Set([3]) });
  assert.deepEqual(cols.map((c) => c.name), ['New', 'MQL', 'Won']);
  assert.equal(cols[0].count, 5);
  assert.equal(cols[0].hasMore, true);
  assert.equal(cols[0].conversion, 0.41);
  assert.equal(cols[0].nextName, 'MQL');
  assert.equal(cols[0].medianDays, 6.2);
  assert.equal(cols[2].conversion, null); // Won is not an open stage
  assert.equal(cols[2].folded, true);
  assert.deepEqual(cols[0].chips, [{ id: 30, name: 'Webinar', color: '#6366f1', count: 5, costMissing: false }]);
  assert.equal(buildColumns(state())[0].conversion, null); // no /funnel/ yet
});

test('a move in flight shows at once in its new place, with the figures', () => {
  const s = state();
  // MQL [4]: dropped at index 1, after 4, where the server ranks it after 4's rank.
  const position = dropPosition(s, new Map(), buildColumns(s)[1].ids, 2, 1);
  assert.equal(position, rankBetween(s.leads[4].position, null));
  const pending = new Map([[2, { card: s.leads[2], from: 1, to: 2, position }]]);
  const cols = buildColumns(s, { pending });
  assert.deepEqual(cols[0].ids, [1, 3]);
  assert.deepEqual(cols[1].ids, [4, 2]);
  assert.equal(cols[0].count, 4);
  assert.equal(cols[1].count, 2);
  assert.equal(cols[1].value, 2000);
  assert.equal(cols[1].chips[0].count, 2);
  assert.equal(cardFor(s, pending, 2).stage, 2);
  assert.equal(cardFor(s, pending, 1).stage, 1);
  // Once the state has the move, the overlay adds nothing twice.
  const after = applyEvent(s, moved(11, card(2, 2, 0.5, { version: 2 }), 1)).state;
  const cols2 = buildColumns(after, { pending });
  assert.equal(cols2[1].count, 2);
  assert.deepEqual(cols2[1].ids, [4, 2]);
});

test('Won and Lost start folded', () => {
  assert.deepEqual([...defaultFolded(state())], [3]);
});

test('an archived campaign has no chip; a campaign without a cost has a flagged chip', () => {
  const s = loadState(apiState(), emptyFilters());
  const chipsOf = (state) => buildColumns(state).find((c) => c.id === 1).chips;
  assert.deepEqual(chipsOf(s).map((c) => [c.id, c.costMissing]), [[30, false]]);
  const unknown = applyEvent(s, campaignUpdated(11, { id: 30, name: 'Webinar', cost: null }, ['cost'])).state;
  assert.deepEqual(chipsOf(unknown).map((c) => [c.id, c.costMissing]), [[30, true]]);
  assert.equal(campaignCostMissing(unknown.campaigns[30]), true);
  assert.equal(campaignCostMissing(s.campaigns[30]), false);
  assert.equal(campaignCostMissing({ cost: 0 }), false); // free is a cost
  const archived = applyEvent(s, campaignUpdated(11, { id: 30, name: 'Webinar', cost: 100, archived: true }, ['archived'])).state;
  assert.deepEqual(chipsOf(archived), []);
  assert.equal(buildColumns(archived).find((c) => c.id === 1).count, 5); // its leads are still counted
  assert.deepEqual(pickableCampaigns(archived), [31]);
  assert.deepEqual(pickableCampaigns(archived, [30]), [31, 30]); // a filter on it still reads
});

test('columns carry the WIP limit, how it stands, and the leads past the SLA', () => {
  const cols = buildColumns(state());
  assert.deepEqual(cols.map((c) => [c.wip_limit, c.wip, c.overdue]), [[null, null, 4], [3, 'under', 1], [null, null, 0]]);
  assert.deepEqual([2, 3, 4].map((n) => wipState(n, 3)), ['under', 'at', 'over']);
  assert.equal(wipState(9, null), null);
});

test('a column dropped among the others gives the new funnel order', () => {
  assert.deepEqual(stageOrderAfterDrop([1, 2, 3, 4], 4, 1), [1, 4, 2, 3]);
  assert.deepEqual(stageOrderAfterDrop([1, 2, 3, 4], 1, 2), [2, 3, 1, 4]);
  assert.deepEqual(stageOrderAfterDrop([1, 2, 3, 4], 2, 1), [1, 2, 3, 4]);
  assert.deepEqual(stageOrderAfterDrop([1, 2, 3], 1, 99), [2, 3, 1]);
});
