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
