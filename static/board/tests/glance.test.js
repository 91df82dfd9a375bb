import test from 'node:test';
import assert from 'node:assert/strict';
import { headerTipText } from '../canvas/glance.js';
import { ringWords, LEGEND, VERDICT_WORDS } from '../core/marks.js';
import { qualityTitle, chosenTotal } from '../panels/quality.js';

test('the header tooltip gives both times in stage, each labelled', () => {
  const tip = headerTipText({ name: 'New', count: 415, medianDays: 3.4, medianAgeDays: 82.6, sla_days: 7, overdue: 398, conversion: 0.41, nextName: 'MQL' });
  assert.match(tip, /Here now \(median age\): 82\.6 days in New/);
  assert.match(tip, /Left after \(median\): 3\.4 days/);
  assert.match(tip, /398 overdue/);
  const empty = headerTipText({ name: 'SQL', count: 0, medianDays: null, medianAgeDays: null, sla_days: null });
  assert.doesNotMatch(empty, /median/);
});

test('the marks in words: the ring with and without an SLA, both verdicts, every legend entry', () => {
  assert.equal(ringWords({ days: 9, sla: 7, overdue: true }), "Past the SLA: 9 days in this stage, the stage's SLA is 7 days.");
  assert.equal(ringWords({ days: 1, sla: 7, overdue: false }), "1 day in this stage of the stage's 7-day SLA.");
  assert.equal(ringWords({ days: 1, sla: null, overdue: false }), null);
  assert.match(VERDICT_WORDS.accepted, /^✓/);
  assert.match(VERDICT_WORDS.rejected, /^✗/);
  const texts = LEGEND.map((e) => e.text).filter(Boolean);
  for (const mark of ['✓', '✗', '12 overdue']) assert.ok(texts.includes(mark), mark);
  assert.ok(LEGEND.some((e) => e.kind === 'ring'));
});

test('lead quality is titled with the campaigns it counts, and totals only them', () => {
  const campaigns = { 3: { name: 'Webinar Q4' } };
  assert.equal(qualityTitle({ campaign: [] }, campaigns), 'Lead quality');
  assert.equal(qualityTitle({ campaign: [3] }, campaigns), 'Lead quality: Webinar Q4');
  assert.equal(qualityTitle({ campaign: [3, 4] }, campaigns), 'Lead quality: 2 campaigns');
  const total = chosenTotal([
    { accepted: 3, rejected: 1, top_reasons: [{ reason: 'Student', leads: 1 }] },
    { accepted: 1, rejected: 3, top_reasons: [{ reason: 'Student', leads: 2 }, { reason: 'Spam', leads: 1 }] },
  ]);
  assert.equal(total.acceptance_rate, 0.5);
  assert.deepEqual(total.top_reasons, [{ reason: 'Student', leads: 3 }, { reason: 'Spam', leads: 1 }]);
});

import { compareBySort, setCardSortOrder, reorderable } from '../core/cardsort.js';
import { compareCards } from '../core/reducer.js';

test('cards in a sorted column: oldest first, highest value and score first, ties by id', () => {
  setCardSortOrder({
    position: { field: 'position', descending: false },
    age: { field: 'stage_entered_at', descending: false },
    value: { field: 'value', descending: true },
    score: { field: 'score', descending: true },
  });
  const cards = [
    { id: 1, position: 'a0', stage_entered_at: '2026-11-30T00:00:00Z', value: 10, score: 50 },
    { id: 2, position: 'a1', stage_entered_at: '2026-09-01T00:00:00Z', value: 900, score: 50 },
    { id: 3, position: 'Zz', stage_entered_at: '2026-10-01T00:00:00Z', value: 90, score: 99 },
  ];
  const order = (sort) => [...cards].sort((a, b) => compareBySort(a, b, sort)).map((c) => c.id);
  assert.deepEqual(order('position'), [3, 1, 2]);
  assert.deepEqual(order('age'), [2, 3, 1]);
  assert.deepEqual(order('value'), [2, 3, 1]);
  assert.deepEqual(order('score'), [3, 1, 2]); // 1 and 2 tie on 50: by id
  assert.deepEqual([...cards].sort((a, b) => compareCards(a, b, 'age')).map((c) => c.id), [2, 3, 1]);
  assert.equal(reorderable('position'), true);
  assert.equal(reorderable(undefined), true);
  assert.equal(reorderable('age'), false);
});
