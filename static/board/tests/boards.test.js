// A board's own settings on the page: board.updated in the reducer (name,
// currency, archived), money in the board's currency on the columns, the title
// and notes that follow, and the empty board's state.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvent, applyEvents } from '../core/reducer.js';
import { emptyFilters, parseFilters } from '../core/filters.js';
import { buildColumns } from '../core/model.js';
import { describeEffect } from '../ui/a11y.js';
import { retitle, archivedNote } from '../ui/boardinfo.js';
import { boardIsEmpty } from '../panels/empty.js';
import { apiState, boardUpdated, created, card, ME } from './fixtures.js';

const board = { id: 9, name: 'Q4', slug: 'q4', last_seq: 10, currency: 'USD', archived: false, me: { role: 'owner', team: 'marketing' } };
const fresh = () => loadState(apiState({ board }), emptyFilters());
const names = { stageName: (id) => `stage ${id}`, campaignName: () => 'campaign', me: ME };

test('board.updated renames the board and sets its currency; the rest of the board stays', () => {
  const s = fresh();
  const r = applyEvent(s, boardUpdated(11, { name: 'EMEA pipeline', currency: 'EUR' }, ['name', 'currency']));
  assert.equal(r.applied, 1);
  assert.deepEqual(r.state.board, { ...board, name: 'EMEA pipeline', currency: 'EUR', last_seq: 11 });
  // No stage, card or campaign is touched.
  assert.deepEqual([r.state.stageOrder, r.state.stages, r.state.leads, r.state.campaigns], [s.stageOrder, s.stages, s.leads, s.campaigns]);
  assert.equal(r.refetch, false); // nothing the server has to tell
  assert.deepEqual(r.effects.map((e) => [e.kind, e.fields, e.board.name]), [['board', ['name', 'currency'], 'EMEA pipeline']]);
  assert.equal(describeEffect(r.effects[0], names), 'Dana Kim renamed the board to EMEA pipeline');
  assert.equal(s.board.name, 'Q4'); // the state before is untouched
});

test('board.updated archives and restores; events after it still apply in seq order', () => {
  const s = fresh();
  const r = applyEvents(s, [
    boardUpdated(12, { archived: false }, ['archived']),
    boardUpdated(11, { archived: true }, ['archived']),
  ]);
  assert.equal(r.applied, 2);
  assert.equal(r.state.board.archived, false);
  assert.deepEqual(r.effects.map((e) => e.board.archived), [true, false]);
  assert.equal(describeEffect(r.effects[0], names), 'Dana Kim archived the board: it is read-only now');
  assert.equal(describeEffect({ ...r.effects[1], event: { ...r.effects[1].event, actor: ME } }, names), 'You restored the board');
  // A duplicate changes nothing.
  const again = applyEvent(r.state, boardUpdated(11, { name: 'old news' }, ['name']));
  assert.equal(again.applied, 0);
  assert.equal(again.state.board.name, 'Q4');
});

test("the columns write money in the board's currency, which follows board.updated", () => {
  const s = fresh();
  assert.deepEqual(buildColumns(s).map((c) => c.currency), ['USD', 'USD', 'USD']);
  const r = applyEvent(s, boardUpdated(11, { currency: 'GBP' }, ['currency']));
  assert.deepEqual(buildColumns(r.state).map((c) => c.currency), ['GBP', 'GBP', 'GBP']);
  assert.equal(describeEffect(r.effects[0], names), "Dana Kim set the board's currency to GBP");
});

test('the window title keeps what follows the name', () => {
  assert.equal(retitle('Q4 · Funnelboard', 'Q4', 'EMEA'), 'EMEA · Funnelboard');
  assert.equal(retitle('Q4 · Meeting · Funnelboard', 'Q4', 'EMEA'), 'EMEA · Meeting · Funnelboard');
  assert.equal(retitle('something else', 'Q4', 'EMEA'), 'EMEA · Funnelboard');
});

test('an archived board says it is read-only; a restored one asks editors to reload', () => {
  const owner = { role: 'owner' };
  const viewer = { role: 'viewer' };
  assert.match(archivedNote({ archived: true }, owner, false), /read-only\. Restore it in its settings/);
  assert.equal(archivedNote({ archived: true }, viewer, false), 'This board is archived: it is read-only.');
  assert.equal(archivedNote({ archived: false }, owner, true), null); // opened live: nothing to say
  assert.equal(archivedNote({ archived: false }, owner, false), 'This board was restored. Reload the page to change it.');
  assert.equal(archivedNote({ archived: false }, viewer, false), null); // a viewer reads, archived or not
});

test('the empty state shows on a live, unfiltered board without leads, and goes with the first', () => {
  const empty = loadState(
    apiState({
      board,
      stages: apiState().stages.map((s) => ({ ...s, count: 0, value: 0, next: null, leads: [] })),
      campaigns: [],
    }),
    emptyFilters(),
  );
  assert.equal(boardIsEmpty(empty, { filters: emptyFilters(), asOf: null }), true);
  assert.equal(boardIsEmpty(empty, { filters: parseFilters('?q=ada'), asOf: null }), false); // filtered: not known
  assert.equal(boardIsEmpty(empty, { filters: emptyFilters(), asOf: '2025-11-01T00:00:00Z' }), false); // the past
  assert.equal(boardIsEmpty(null, { filters: emptyFilters(), asOf: null }), false); // not loaded yet
  const first = applyEvent(empty, created(11, card(90, 1, 0, { campaign: null })));
  assert.equal(boardIsEmpty(first.state, { filters: emptyFilters(), asOf: null }), false);
  assert.equal(boardIsEmpty(fresh(), { filters: emptyFilters(), asOf: null }), false);
});
