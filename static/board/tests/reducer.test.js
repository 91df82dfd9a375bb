import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvents, applyEvent, mergePage } from '../core/reducer.js';
import { emptyFilters } from '../core/filters.js';
import { apiState, card, moved, created, updated, campaignCreated, campaignUpdated, campaignMoved, batchUndone, feedback, move, stage, stageCreated, stageUpdated, stageDeleted, stagesReordered, DANA, ME } from './fixtures.js';

const fresh = (filters = emptyFilters()) => loadState(apiState(), filters);
const ids = (state, stage) => state.stages[stage].ids;

test('load: stages in order with their loaded cards, counts from the server', () => {
  const s = fresh();
  assert.equal(s.seq, 10);
  assert.deepEqual(s.stageOrder, [1, 2, 3]);
  assert.deepEqual(ids(s, 1), [1, 2, 3]);
  assert.equal(s.stages[1].count, 5); // not the 3 loaded
  assert.equal(s.leads[4].name, 'Lead 4');
});

test('applies by seq; duplicates (seq <= last) are ignored', () => {
  const s = fresh();
  // New [1 2 3] -> MQL [4]   move 2 to MQL at top -> MQL [2 4]
  const e = moved(11, card(2, 2, -1, { version: 2 }), 1);
  const r = applyEvent(s, e);
  assert.equal(r.applied, 1);
  assert.equal(r.state.seq, 11);
  assert.deepEqual(ids(r.state, 1), [1, 3]);
  assert.deepEqual(ids(r.state, 2), [2, 4]);
  assert.equal(r.state.stages[1].count, 4);
  assert.equal(r.state.stages[1].value, 4000);
  assert.equal(r.state.stages[2].count, 2);
  assert.equal(r.state.campaigns[30].stages[2].count, 2);
  assert.deepEqual(r.effects.map((x) => [x.kind, x.lead, x.from, x.to]), [['moved', 2, 1, 2]]);
  // The original is untouched.
  assert.deepEqual(ids(s, 1), [1, 2, 3]);
  assert.equal(s.stages[1].count, 5);

  const again = applyEvent(r.state, e);
  assert.equal(again.applied, 0);
  assert.equal(again.duplicates, 1);
  assert.equal(again.state, r.state);
  assert.equal(applyEvent(r.state, { ...e, seq: 5 }).duplicates, 1);
});

test('a seq gap stops before the gap and hands the rest back', () => {
  const s = fresh();
  const e11 = moved(11, card(2, 2, -1, { version: 2 }), 1);
  const e13 = moved(13, card(3, 2, -2, { version: 2 }), 1);
  const r = applyEvents(s, [e13, e11]);
  assert.equal(r.applied, 1);
  assert.equal(r.state.seq, 11);
  assert.deepEqual(r.gap, { after: 11, next: 13 });
  assert.deepEqual(r.rest.map((e) => e.seq), [13]);
  assert.deepEqual(ids(r.state, 2), [2, 4]); // 3 not moved yet
});

test('a move of a card that is not loaded still moves the figures', () => {
  const s = fresh();
  // Lead 50 sits in New beyond the first page; it moves to MQL with position after 4.
  const r = applyEvent(s, moved(11, card(50, 2, 5, { version: 3, value: 2500, campaign: 31 }), 1));
  assert.equal(r.state.stages[1].count, 4);
  assert.equal(r.state.stages[1].value, 2500);
  assert.equal(r.state.stages[2].count, 2);
  assert.equal(r.state.stages[2].value, 3500);
  assert.deepEqual(ids(r.state, 2), [4, 50]); // MQL is fully loaded: the card shows
  assert.equal(r.state.campaigns[31].stages[2].count, 1);
  assert.equal(r.refetch, false);
});

test('a card landing past a column\'s loaded page is not shown, only counted', () => {
  const s = fresh();
  // 4 moves back to New at position 99: New has more pages, 99 is past card 3.
  const r = applyEvent(s, moved(11, card(4, 1, 99, { version: 2 }), 2));
  assert.deepEqual(ids(r.state, 1), [1, 2, 3]);
  assert.deepEqual(ids(r.state, 2), []);
  assert.equal(r.state.leads[4], undefined);
  assert.equal(r.state.stages[1].count, 6);
  // Within the loaded page it is placed by (position, id).
  const r2 = applyEvent(s, moved(11, card(4, 1, 1.5, { version: 2 }), 2));
  assert.deepEqual(ids(r2.state, 1), [1, 2, 4, 3]);
});

test('a reorder inside a stage changes no figures', () => {
  const s = fresh();
  const r = applyEvent(s, moved(11, card(3, 1, -1, { version: 2 }), 1, { transition: null }));
  assert.deepEqual(ids(r.state, 1), [3, 1, 2]);
  assert.equal(r.state.stages[1].count, 5);
  assert.equal(r.effects[0].kind, 'reordered');
});

test('an event already in the data (card carries its version) is not counted twice', () => {
  const s = loadState(apiState({ stages: apiState().stages.map((st) => (st.id === 2 ? { ...st, leads: [card(2, 2, -1, { version: 2 }), card(4, 2, 0)], count: 2 } : st)) }), emptyFilters());
  const r = applyEvent(s, moved(11, card(2, 2, -1, { version: 2 }), 1));
  assert.equal(r.state.seq, 11);
  assert.equal(r.state.stages[2].count, 2);
});

test('campaign moved: the campaign\'s figures move whole, loaded cards follow, refetch asked', () => {
  const s = fresh();
  const e = campaignMoved(11, 30, 1, 2, [1, 2, 3, 60, 61].map((id, i) => move(id, 1, 2, -10 + i, 2)));
  const r = applyEvent(s, e);
  assert.equal(r.state.stages[1].count, 0);
  assert.equal(r.state.stages[1].value, 0);
  assert.equal(r.state.stages[2].count, 6);
  assert.equal(r.state.stages[2].value, 6000);
  assert.equal(r.state.campaigns[30].stages[1].count, 0);
  assert.equal(r.state.campaigns[30].stages[2].count, 6);
  assert.deepEqual(ids(r.state, 2), [1, 2, 3, 4]);
  assert.deepEqual(ids(r.state, 1), []);
  assert.equal(r.state.leads[1].stage_entered_at, '2025-11-20T12:00:00Z');
  assert.equal(r.refetch, true); // 60 and 61 were past New's loaded page: they may top MQL now
  assert.equal(r.effects[0].kind, 'batch');
  assert.equal(r.effects[0].count, 5);
  assert.equal(r.state.touched[60].to, 2);
});

test('undo batch (leads.moved): loaded cards go back with exact figures and entry dates', () => {
  let s = fresh();
  s = applyEvent(s, moved(11, card(2, 2, -1, { version: 2 }), 1)).state;
  const back = (lead, from, position, version) => move(lead, from, 1, position, version, { stage_entered_at: '2025-10-15T00:00:00Z' });
  // 77 is in no loaded card of MQL, a whole column: the filters leave it out.
  const e = batchUndone(12, [back(2, 2, 1, 3), back(77, 2, -5, 4)], { actor: ME });
  const r = applyEvent(s, e);
  assert.deepEqual(ids(r.state, 1), [1, 2, 3]);
  assert.equal(r.state.leads[2].stage_entered_at, '2025-10-15T00:00:00Z'); // restored, not the undo's moment
  assert.equal(r.state.stages[1].count, 5);
  assert.equal(r.state.stages[2].count, 1);
  assert.equal(r.refetch, false);
  assert.equal(r.effects[0].kind, 'undo-batch');
  // A lead from past a column's loaded page: its value is unknown, the server counts.
  const paged = applyEvent(s, batchUndone(12, [move(78, 1, 2, -5, 2)]));
  assert.equal(paged.refetch, true);
});

test('lead created: counted, shown at the top when it matches the filters', () => {
  const s = fresh();
  const e = created(11, card(90, 1, -1, { value: 500 }));
  const r = applyEvent(s, e);
  assert.deepEqual(ids(r.state, 1), [90, 1, 2, 3]);
  assert.equal(r.state.stages[1].count, 6);
  assert.equal(r.state.stages[1].value, 5500);
  const filtered = loadState(apiState(), { ...emptyFilters(), score_min: 60 });
  const r2 = applyEvent(filtered, e);
  assert.deepEqual(ids(r2.state, 1), [1, 2, 3]);
  assert.equal(r2.state.stages[1].count, 5);
});

test('lead updated: value deltas, campaign change, leaving the filter', () => {
  const s = fresh();
  const up = (seq, extra, fields) => updated(seq, card(1, 1, 0, { version: 2, ...extra }), fields);
  let r = applyEvent(s, up(11, { value: 3000 }, ['value']));
  assert.equal(r.state.stages[1].value, 7000);
  assert.equal(r.state.campaigns[30].stages[1].value, 7000);
  r = applyEvent(s, up(11, { campaign: 31 }, ['campaign']));
  assert.equal(r.state.campaigns[30].stages[1].count, 4);
  assert.equal(r.state.campaigns[31].stages[1].count, 1);
  assert.equal(r.state.stages[1].count, 5);
  const filtered = loadState(apiState(), { ...emptyFilters(), score_min: 40 });
  r = applyEvent(filtered, up(11, { score: 10 }, ['score']));
  assert.deepEqual(ids(r.state, 1), [2, 3]);
  assert.equal(r.state.stages[1].count, 4);
  // Not loaded and the value changed: only the server knows the old value.
  r = applyEvent(s, { ...up(11, { value: 1 }, ['value']), lead: card(55, 1, 40, { version: 2 }) });
  assert.equal(r.refetch, true);
});

test('campaign created is added with empty figures; unknown types still advance seq', () => {
  const s = fresh();
  const r = applyEvents(s, [
    campaignCreated(11, { id: 32, name: 'Aardvark' }),
    feedback(12, 1, 'accepted'),
    { type: 'something.new', seq: 13, actor: DANA, at: 'x' },
  ]);
  assert.equal(r.state.seq, 13);
  assert.deepEqual(r.state.campaignOrder, [32, 31, 30]); // by name, as the server orders them
  assert.deepEqual(r.state.campaigns[32].stages[1], { count: 0, value: 0 });
});

test('campaign updated: its own fields change, its figures stay, the order follows the name', () => {
  const s = fresh();
  // Campaigns [Webinar (30), Ads (31)]: rename Ads to "Zebra" and Webinar to "Zulu"
  // (its cost cleared) -> [Zebra, Zulu].
  const zebra = campaignUpdated(11, { id: 31, name: 'Zebra', channel: 'paid', color: '#f59e0b', cost: 50 }, ['name']);
  const e = campaignUpdated(12, { id: 30, name: 'Zulu', channel: 'webcast', color: '#10b981', cost: null, starts_on: '2026-01-01' }, ['channel', 'color', 'cost', 'name', 'starts_on']);
  const r = applyEvents(s, [zebra, e]);
  assert.equal(r.refetch, false);
  const c = r.state.campaigns[30];
  assert.deepEqual({ name: c.name, channel: c.channel, color: c.color, cost: c.cost, archived: c.archived }, { name: 'Zulu', channel: 'webcast', color: '#10b981', cost: null, archived: false });
  assert.equal(c.starts_on, undefined); // the board keeps what /state/ has, not the detail
  assert.deepEqual(c.stages, s.campaigns[30].stages);
  assert.equal(c.count, 6);
  assert.deepEqual(r.state.campaignOrder, [31, 30]);
  assert.deepEqual(s.campaignOrder, [30, 31]); // the old state is untouched
  assert.equal(s.campaigns[30].name, 'Webinar');
  assert.deepEqual(r.effects.map((x) => [x.kind, x.campaign, x.fields.length]), [['campaign', 31, 1], ['campaign', 30, 5]]);
});

test('campaign archived: still in the state with its figures, its chips go; restored, they come back', () => {
  const s = fresh();
  const archived = applyEvent(s, campaignUpdated(11, { id: 30, name: 'Webinar', channel: 'webinar', color: '#6366f1', cost: 100, archived: true }, ['archived'])).state;
  assert.equal(archived.campaigns[30].archived, true);
  assert.equal(archived.campaigns[30].stages[1].count, 5);
  assert.deepEqual(archived.campaignOrder, [31, 30]); // by name, archived or not
  assert.deepEqual(ids(archived, 1), ids(s, 1)); // its leads stay where they are
  assert.equal(archived.stages[1].count, 5);
  const restored = applyEvent(archived, campaignUpdated(12, { id: 30, name: 'Webinar', channel: 'webinar', color: '#6366f1', cost: 100, archived: false }, ['archived'])).state;
  assert.deepEqual(restored.campaigns, s.campaigns);
});

test('campaign updated for a campaign the state lacks (an import not refetched yet): added, refetch asked', () => {
  const r = applyEvent(fresh(), campaignUpdated(11, { id: 40, name: 'Imported', cost: 10 }, ['cost']));
  assert.equal(r.refetch, true);
  assert.equal(r.state.campaigns[40].cost, 10);
  assert.deepEqual(r.state.campaignOrder, [31, 40, 30]); // Ads, Imported, Webinar
});

test('the last event touching a lead is remembered (for conflict messages)', () => {
  const r = applyEvent(fresh(), moved(11, card(2, 2, -1, { version: 2 }), 1));
  assert.deepEqual(r.state.touched[2], { actor: DANA, from: 1, to: 2, at: '2025-11-20T12:00:00Z', seq: 11, type: 'lead.moved' });
});

test('a page appends to its stage, skips cards a newer event placed, keeps counts', () => {
  let s = fresh();
  s = applyEvent(s, moved(11, card(2, 2, -1, { version: 2 }), 1)).state;
  const page = { seq: 11, stages: [{ id: 1, count: 99, value: 0, next: null, leads: [card(5, 1, 3), card(2, 1, 1), card(6, 1, 4)] }], people: {} };
  const r = mergePage(s, 1, page);
  assert.deepEqual(ids(r, 1), [1, 3, 5, 6]);
  assert.equal(r.stages[1].next, null);
  assert.equal(r.stages[1].count, 4);
  assert.equal(r.leads[2].stage, 2);
});

test('a batch move stored before moves carried stage_entered_at enters at the event', () => {
  const { stage_entered_at, ...old } = move(1, 1, 2, -10, 2);
  const r = applyEvent(fresh(), campaignMoved(11, 30, 1, 2, [old], { at: '2025-11-21T08:00:00Z' }));
  assert.equal(r.state.leads[1].stage_entered_at, '2025-11-21T08:00:00Z');
});

// Stages, set up by the board's owner.

test('stage created: an empty column in its place, every position from the order', () => {
  // New MQL Won   add Demo before Won -> New MQL Demo Won
  const r = applyEvent(fresh(), stageCreated(11, stage(4, 'Demo', 2, { wip_limit: 3 }), [1, 2, 4, 3]));
  assert.deepEqual(r.state.stageOrder, [1, 2, 4, 3]);
  assert.deepEqual(r.state.stages[4], { ...stage(4, 'Demo', 2, { wip_limit: 3 }), count: 0, value: 0, overdue: 0, sort: 'position', next: null, ids: [] });
  assert.equal(r.state.stages[3].position, 3);
  assert.deepEqual(r.state.campaigns[30].stages[4], { count: 0, value: 0 });
  assert.equal(r.refetch, false);
  assert.deepEqual(r.effects.map((e) => [e.kind, e.name]), [['stage-created', 'Demo']]);
});

test('stage updated: renamed in place, cards stay; a new SLA recounts a whole column', () => {
  const s = fresh();
  assert.equal(s.stages[2].overdue, 1); // Lead 4 has been in MQL 19 days at the event
  let r = applyEvent(s, stageUpdated(11, stage(2, 'Marketing qualified', 1, { sla_days: 14 }), ['name'], [1, 2, 3]));
  assert.equal(r.state.stages[2].name, 'Marketing qualified');
  assert.deepEqual(ids(r.state, 2), [4]);
  assert.equal(r.state.stages[2].overdue, 1);
  assert.deepEqual(r.effects.map((e) => [e.kind, e.was, e.name]), [['stage-updated', 'MQL', 'Marketing qualified']]);
  r = applyEvent(s, stageUpdated(11, stage(2, 'MQL', 1, { sla_days: 30 }), ['sla_days'], [1, 2, 3]));
  assert.equal(r.state.stages[2].overdue, 0);
  assert.equal(r.refetch, false);
  // New has more cards than loaded: only the server can count them.
  r = applyEvent(s, stageUpdated(11, stage(1, 'New', 0, { sla_days: 60 }), ['sla_days'], [1, 2, 3]));
  assert.equal(r.refetch, true);
});

test('stage updated: a kind change reorders by the event\'s order', () => {
  const r = applyEvent(fresh(), stageUpdated(11, stage(2, 'MQL', 2, { kind: 'lost' }), ['kind'], [1, 3, 2]));
  assert.deepEqual(r.state.stageOrder, [1, 3, 2]);
  assert.equal(r.state.stages[3].position, 1);
  assert.equal(r.state.stages[2].kind, 'lost');
});

test('stage deleted: its leads and figures move whole to move_to, the column goes', () => {
  // New [1 2 3 | more] MQL [4] Won   remove MQL, leads to New -> New [4 1 2 3 | more] Won
  const e = stageDeleted(11, 2, 1, [move(4, 2, 1, -5, 2)], [1, 3]);
  const r = applyEvent(fresh(), e);
  assert.deepEqual(r.state.stageOrder, [1, 3]);
  assert.equal(r.state.stages[2], undefined);
  assert.equal(r.state.stages[3].position, 1);
  assert.deepEqual(ids(r.state, 1), [4, 1, 2, 3]); // on top of New
  assert.equal(r.state.leads[4].stage, 1);
  assert.equal(r.state.stages[1].count, 6);
  assert.equal(r.state.stages[1].value, 6000);
  assert.equal(r.state.campaigns[30].stages[1].count, 6);
  assert.equal(r.state.campaigns[30].stages[2], undefined);
  assert.equal(r.state.stages[1].overdue, 4); // moved in just now: not past New's SLA
  assert.equal(r.refetch, false);
  assert.equal(r.state.touched[4].to, 1);
  assert.deepEqual(r.effects.map((x) => [x.kind, x.name, x.count, x.to]), [['stage-deleted', 'MQL', 1, 1]]);
  // An empty stage just goes.
  const empty = applyEvent(fresh(), stageDeleted(11, 3, null, [], [1, 2]));
  assert.deepEqual(empty.state.stageOrder, [1, 2]);
  assert.equal(empty.state.stages[3], undefined);
  // New has more than it loaded: its unloaded leads may top MQL now.
  const paged = applyEvent(fresh(), stageDeleted(11, 1, 2, [move(1, 1, 2, -3, 2), move(50, 1, 2, -2, 2)], [2, 3]));
  assert.equal(paged.refetch, true);
  assert.deepEqual(ids(paged.state, 2), [1, 4]);
  assert.equal(paged.state.stages[2].count, 6);
});

test('stages reordered: order and positions follow', () => {
  const r = applyEvent(fresh(), stagesReordered(11, [2, 1, 3]));
  assert.deepEqual(r.state.stageOrder, [2, 1, 3]);
  assert.deepEqual([1, 2, 3].map((id) => r.state.stages[id].position), [1, 0, 2]);
  assert.equal(r.refetch, false);
});

test('the handoff stage moving elsewhere asks the server for its lane; none drops it', () => {
  const s = fresh(); // no handoff lane: no sales stage
  assert.equal(applyEvent(s, stagesReordered(11, [2, 1, 3], { handoff: null })).refetch, false);
  const r = applyEvent(s, stageUpdated(11, stage(2, 'MQL', 1, { team: 'sales' }), ['team'], [1, 2, 3], { handoff: 2 }));
  assert.equal(r.refetch, true);
  const laned = loadState(apiState({ handoff: { stage: 2, count: 1, leads: [card(4, 2, 0)] } }), emptyFilters());
  const gone = applyEvent(laned, stageUpdated(11, stage(2, 'MQL', 1), ['team'], [1, 2, 3], { handoff: null }));
  assert.equal(gone.state.handoff, null);
  assert.equal(gone.refetch, false);
  assert.equal(applyEvent(laned, stagesReordered(11, [2, 1, 3], { handoff: 2 })).state.handoff.stage, 2);
});

test('overdue follows the loaded cards that enter and leave a stage', () => {
  const s = fresh();
  // Lead 2 (19 days in New, SLA 7: past it) moves to MQL, entering it now.
  let r = applyEvent(s, moved(11, card(2, 2, -1, { version: 2, stage_entered_at: '2025-11-20T12:00:00Z' }), 1));
  assert.equal(r.state.stages[1].overdue, 3);
  assert.equal(r.state.stages[2].overdue, 1);
  // An undo puts it back with its old entry date: past New's SLA again.
  r = applyEvent(r.state, batchUndone(12, [move(2, 2, 1, 1, 3, { stage_entered_at: '2025-11-01T00:00:00Z' })]));
  assert.equal(r.state.stages[1].overdue, 4);
  assert.equal(r.state.stages[2].overdue, 1);
  // A lead created long ago in New.
  r = applyEvent(s, created(11, card(90, 1, -1, { stage_entered_at: '2025-10-01T00:00:00Z' })));
  assert.equal(r.state.stages[1].overdue, 5);
  // A card leaving the filters leaves the count.
  const filtered = loadState(apiState(), { ...emptyFilters(), score_min: 40 });
  r = applyEvent(filtered, updated(11, card(4, 2, 0, { version: 2, score: 10 }), ['score']));
  assert.equal(r.state.stages[2].overdue, 0);
});
