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
