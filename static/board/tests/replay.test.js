import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DAY_MS, MOVE_MS, MAX_X1_MS, MAX_FRAME_MS, sliderDays, sliderMoment, sliderIndex, momentLabel, isoDay, replayPeriod,
  replayRate, advance, dueRange, addPage, moveEvent, frameEvents, newerCard,
} from '../core/replay.js';
import { loadState, applyEvents } from '../core/reducer.js';
import { apiState, card } from './fixtures.js';

const BEGAN = '2026-05-26T16:51:49Z';
const NOW = '2026-11-22T17:30:00Z';

test('the slider has a position per UTC day since the board began; the last is live', () => {
  assert.equal(sliderDays(BEGAN, NOW), 180);
  assert.equal(sliderDays(BEGAN, '2026-05-26T23:00:00Z'), 0); // began today: live only
  assert.equal(sliderMoment(180, BEGAN, NOW), null);
  assert.equal(sliderMoment(0, BEGAN, NOW), '2026-05-26T23:59:59.999Z'); // the end of the first day
  assert.equal(sliderMoment(179, BEGAN, NOW), '2026-11-21T23:59:59.999Z'); // yesterday's end
});

test('a moment finds its slider position', () => {
  assert.equal(sliderIndex(null, BEGAN, NOW), 180);
  assert.equal(sliderIndex('2026-05-26T23:59:59.999Z', BEGAN, NOW), 0);
  assert.equal(sliderIndex('2026-07-01T12:00:00Z', BEGAN, NOW), 36);
  // A replay moment of today sits on the last past day, never on "live".
  assert.equal(sliderIndex('2026-11-22T10:00:00Z', BEGAN, NOW), 179);
  for (const i of [0, 17, 179]) assert.equal(sliderIndex(sliderMoment(i, BEGAN, NOW), BEGAN, NOW), i);
});

test('moments read as a day for the slider, with the time for a replay', () => {
  assert.equal(momentLabel(null), 'now');
  assert.equal(momentLabel('2026-11-03T23:59:59.999Z'), '3 Nov 2026');
  assert.equal(momentLabel('2026-07-14T13:10:07Z'), '14 Jul 2026, 13:10 UTC');
  assert.equal(isoDay('2026-07-14T23:10:07Z'), '2026-07-14');
});

test('replay periods: last 30 days, last and this quarter, custom days (both included)', () => {
  const opts = { now: NOW, began: '2026-01-01T00:00:00Z' };
  assert.deepEqual(replayPeriod('last-30-days', opts), { start: '2026-10-23T17:30:00.000Z', end: '2026-11-22T17:30:00.000Z' });
  assert.deepEqual(replayPeriod('last-quarter', opts), { start: '2026-07-01T00:00:00.000Z', end: '2026-10-01T00:00:00.000Z' });
  assert.deepEqual(replayPeriod('this-quarter', opts), { start: '2026-10-01T00:00:00.000Z', end: '2026-11-22T17:30:00.000Z' });
  assert.deepEqual(replayPeriod('custom', { ...opts, from: '2026-03-01', to: '2026-03-31' }), {
    start: '2026-03-01T00:00:00.000Z',
    end: '2026-04-01T00:00:00.000Z',
  });
  // January: last quarter is the previous year's last.
  assert.deepEqual(replayPeriod('last-quarter', { now: '2027-01-15T00:00:00Z', began: '2026-01-01T00:00:00Z' }), {
    start: '2026-10-01T00:00:00.000Z',
    end: '2027-01-01T00:00:00.000Z',
  });
});

test('replay periods are clamped to the board history and say what is wrong', () => {
  assert.deepEqual(replayPeriod('last-quarter', { now: NOW, began: BEGAN }), {
    start: '2026-07-01T00:00:00.000Z',
    end: '2026-10-01T00:00:00.000Z',
  });
  assert.equal(replayPeriod('last-30-days', { now: NOW, began: '2026-06-01T00:00:00Z' }).start, '2026-10-23T17:30:00.000Z');
  assert.equal(replayPeriod('custom', { now: NOW, began: BEGAN, from: '2026-01-01', to: '2026-06-01' }).start, '2026-05-26T16:51:49.000Z');
  assert.match(replayPeriod('custom', { now: NOW, began: BEGAN, from: '', to: '' }).error, /first and the last day/);
  assert.match(replayPeriod('custom', { now: NOW, began: BEGAN, from: '2026-09-10', to: '2026-09-01' }).error, /comes before/);
  assert.match(replayPeriod('last-quarter', { now: NOW, began: '2026-11-01T00:00:00Z' }).error, /history begins 1 Nov 2026/);
});

test('the schedule: one move per 0.6 s at x1, faster for big periods, x4 and x16 multiply', () => {
  assert.equal(replayRate(10, 1), 1 / MOVE_MS);
  assert.equal(replayRate(10, 16), 16 / MOVE_MS);
  // 60,000 moves would take 10 hours at 0.6 s: x1 plays them in MAX_X1_MS instead.
  assert.equal(replayRate(60_000, 1), 60_000 / MAX_X1_MS);
  assert.equal(60_000 / replayRate(60_000, 4), MAX_X1_MS / 4);
});

test('progress advances with frame time, capped per frame and at the end', () => {
  const rate = replayRate(100, 1);
  assert.equal(advance(0, MOVE_MS / 4, rate, 100), 0.25);
  // A hidden tab's 30 s gap counts as one short frame, not a jump.
  assert.equal(advance(3, 30_000, rate, 100), 3 + MAX_FRAME_MS * rate);
  assert.equal(advance(99.9, 250, 1, 100), 100);
  assert.equal(advance(2, -5, rate, 100), 2);
  assert.deepEqual(dueRange(0.5, 0, 100), [0, 0]);
  assert.deepEqual(dueRange(3.2, 1, 100), [1, 3]);
  assert.deepEqual(dueRange(100, 97, 100), [97, 100]);
});

test('pages of moves: the next starts at the last time, repeats dropped, a full page of one instant is stuck', () => {
  const t = (id, at) => ({ id, at, lead: id, from_stage: 1, to_stage: 2 });
  let got = addPage([], { transitions: [t(1, 'a'), t(2, 'b'), t(3, 'c')], has_more: true });
  assert.deepEqual(got.moves.map((m) => m.id), [1, 2, 3]);
  assert.equal(got.next, 'c');
  // The server starts the next page at 'c' again (inclusive): 3 comes back.
  got = addPage(got.moves, { transitions: [t(3, 'c'), t(4, 'c'), t(5, 'd')], has_more: false });
  assert.deepEqual(got.moves.map((m) => m.id), [1, 2, 3, 4, 5]);
  assert.equal(got.next, null);
  const stuck = addPage([t(1, 'x'), t(2, 'x')], { transitions: [t(1, 'x'), t(2, 'x')], has_more: true });
  assert.equal(stuck.stuck, true);
});

const T = (id, lead, from, to, at = '2026-07-02T10:00:00Z', extra = {}) => ({ id, lead, lead_name: `Lead ${lead}`, from_stage: from, to_stage: to, at, actor: 'Dana Kim', source: 'drag', undone: false, ...extra });

test('a past move becomes the board event the reducer knows', () => {
  const c = card(2, 1, 1);
  const moved = moveEvent(T(9, 2, 1, 2), c, 11);
  assert.equal(moved.type, 'lead.moved');
  assert.equal(moved.seq, 11);
  assert.equal(moved.from_stage, 1);
  assert.deepEqual({ stage: moved.lead.stage, version: moved.lead.version, at: moved.lead.stage_entered_at }, { stage: 2, version: 2, at: '2026-07-02T10:00:00Z' });
  assert.equal(moved.actor.name, 'Dana Kim');
  const created = moveEvent(T(10, 2, null, 1, undefined, { actor: null, source: 'import' }), c, 12);
  assert.equal(created.type, 'lead.created');
  assert.equal(created.actor.name, 'the import');
  assert.equal(moveEvent(T(11, 2, 1, 1), c, 13), null); // a reorder moves nothing
  assert.equal(moveEvent(T(12, 99, 1, 2), null, 13), null); // unknown card
});

test('a frame of moves: seqs in a row, a lead moving twice moves on from its first move', () => {
  const cards = new Map([[2, card(2, 1, 1)], [4, card(4, 2, 0)]]);
  const moves = [T(1, 2, 1, 2), T(2, 4, 2, 3), T(3, 2, 2, 3), T(4, 77, 1, 2)];
  const { events, cards: placed, skipped } = frameEvents(moves, 0, 4, (id) => cards.get(id), 10);
  assert.deepEqual(events.map((e) => e.seq), [11, 12, 13]);
  assert.deepEqual(events.map((e) => [e.lead.id, e.from_stage, e.lead.stage, e.lead.version]), [
    [2, 1, 2, 2],
    [4, 2, 3, 2],
    [2, 2, 3, 3],
  ]);
  assert.equal(skipped, 1); // lead 77: not known
  assert.equal(placed.get(2).version, 3);
  assert.equal(newerCard(cards.get(2), placed.get(2)).version, 3);
  assert.equal(newerCard(null, placed.get(2)).version, 3);
});

test('replayed moves change the board as live moves do: counts, columns, campaign chips', () => {
  // New [1 2 3 | more] (5) -> MQL [4] (1) -> Won [] (0)
  let state = loadState(apiState(), {}, null);
  const known = (id) => state.leads[id];
  const moves = [T(1, 2, 1, 2), T(2, 4, 2, 3), T(3, 1, 1, 3)];
  const { events } = frameEvents(moves, 0, moves.length, known, state.seq);
  const result = applyEvents(state, events);
  state = result.state;
  // New [3 | more] (3) -> MQL [2] (1) -> Won [1 4] (2)
  assert.equal(result.applied, 3);
  assert.deepEqual([state.stages[1].count, state.stages[2].count, state.stages[3].count], [3, 1, 2]);
  assert.deepEqual(state.stages[2].ids, [2]);
  assert.deepEqual(state.stages[3].ids, [1, 4]);
  assert.equal(state.campaigns[30].stages[3].count, 2);
  assert.deepEqual(result.effects.map((e) => e.kind), ['moved', 'moved', 'moved']);
  assert.equal(DAY_MS, 86_400_000);
});
