import test from 'node:test';
import assert from 'node:assert/strict';

import { closingStages, returnedBySales } from '../core/model.js';

const stages = {
  1: { id: 1, kind: 'open', team: 'marketing' },
  2: { id: 2, kind: 'open', team: 'sales' },
  3: { id: 3, kind: 'won', team: 'sales' },
  4: { id: 4, kind: 'lost', team: 'sales' },
};

test('won and lost are the closing stages', () => {
  assert.deepEqual([...closingStages({ stageOrder: [1, 2, 3, 4], stages })], [3, 4]);
});

test('"Returned by sales": a rejected lead in an open marketing stage, nowhere else', () => {
  assert.equal(returnedBySales({ verdict: 'rejected' }, stages[1]), true);
  assert.equal(returnedBySales({ verdict: 'rejected' }, stages[2]), false); // still with sales
  assert.equal(returnedBySales({ verdict: 'accepted' }, stages[1]), false);
  assert.equal(returnedBySales({ verdict: null }, stages[1]), false);
  assert.equal(returnedBySales({ verdict: 'rejected' }, { kind: 'lost', team: 'marketing' }), false);
  assert.equal(returnedBySales({ verdict: 'rejected' }, undefined), false);
});

test('lost reasons: the whole board or a breakdown, with each reason\'s share', async () => {
  const { lostView } = await import('../panels/lost.js');
  const lost = {
    leads: 4,
    reasons: [{ reason: 'No budget', leads: 3 }, { reason: 'Bad timing', leads: 1 }],
    by: { campaign: [{ key: 7, name: 'Webinar', leads: 3, reasons: [{ reason: 'No budget', leads: 3 }] }, { key: null, name: null, leads: 1, reasons: [{ reason: 'Bad timing', leads: 1 }] }] },
  };
  const total = lostView(lost);
  assert.equal(total.groups[0].reasons[0].share, 0.75);
  const byCampaign = lostView(lost, 'campaign');
  assert.deepEqual(byCampaign.groups.map((g) => g.name), ['Webinar', 'No campaign']);
  assert.deepEqual(lostView({ leads: 0, reasons: [], by: {} }).groups, []);
  assert.deepEqual(lostView(null).groups, []);
});
