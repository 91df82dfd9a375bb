// The stage panel's pure parts: what the form sends, the refusal it shows beside
// its field, where a deleted stage's leads may go, who may set the stages up.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fieldError, limitValue, maySetUpNow, moveTargets, placeBody, stageFormBody } from '../panels/stages.js';
import { loadState } from '../core/reducer.js';
import { emptyFilters } from '../core/filters.js';
import { apiState } from './fixtures.js';
import { ApiError } from '../net/api.js';
import { describeEffect } from '../ui/a11y.js';

test('a new stage sends every field; an edit only what changed', () => {
  const typed = { name: ' Demo ', kind: 'open', team: 'sales', sla_days: '5', wip_limit: '', color: '#0284C7' };
  assert.deepEqual(stageFormBody(typed), { name: 'Demo', kind: 'open', team: 'sales', sla_days: 5, wip_limit: null, color: '#0284c7' });
  const current = { name: 'MQL', kind: 'open', team: 'marketing', sla_days: 14, wip_limit: null, color: '#7c3aed' };
  assert.deepEqual(stageFormBody({ ...current, sla_days: '14', wip_limit: '3', color: '#7C3AED' }, current), { wip_limit: 3 });
  assert.deepEqual(stageFormBody({ ...current, sla_days: '', wip_limit: '' }, current), { sla_days: null });
  // What is not a whole number goes as typed: the server says what is wrong.
  assert.equal(limitValue('2.5'), '2.5');
  assert.equal(limitValue('-1'), -1);
});

test('a refusal is shown beside the field it names', () => {
  const error = new ApiError(400, { detail: 'An SLA is at least 1 day', sla_days: ['An SLA is at least 1 day'] }, 'An SLA is at least 1 day');
  assert.deepEqual(fieldError(error), { field: 'sla_days', message: 'An SLA is at least 1 day' });
  assert.deepEqual(fieldError(new ApiError(403, { detail: 'Only the board’s owner can do this.' }, 'Only the board’s owner can do this.')), { field: null, message: 'Only the board’s owner can do this.' });
});

test('a deleted stage\'s leads go to the stage before it by default', () => {
  const state = loadState(apiState(), emptyFilters());
  assert.deepEqual(moveTargets(state, 2).map((t) => t.name), ['New', 'Won']);
  assert.deepEqual(moveTargets(state, 1).map((t) => t.name), ['MQL', 'Won']);
  assert.deepEqual(placeBody(2, 'before'), { before: 2 });
  assert.deepEqual(placeBody(2, 'after'), { after: 2 });
});

test('only the owner sets stages up, on the live board, not in a meeting', () => {
  assert.equal(maySetUpNow({ may_set_up: true }, {}, null), true);
  assert.equal(maySetUpNow({ may_set_up: false }, {}, null), false);
  assert.equal(maySetUpNow({ may_set_up: true }, {}, '2026-01-01T00:00:00Z'), false);
  assert.equal(maySetUpNow({ may_set_up: true }, { meeting: { share: null } }, null), false);
  assert.equal(maySetUpNow({ role: 'owner' }, {}, null), false); // the server's answer, not a second copy of the rule
});

test('screen readers hear stage changes', () => {
  const names = { stageName: (id) => ({ 1: 'New' })[id] || 'another stage', campaignName: () => '', me: { id: 1 } };
  const event = { actor: { id: 7, name: 'Dana Kim' } };
  assert.equal(describeEffect({ kind: 'stage-created', name: 'Demo', event }, names), 'Dana Kim added the stage Demo');
  assert.equal(describeEffect({ kind: 'stage-updated', name: 'Qualified', was: 'MQL', fields: ['name'], event }, names), 'Dana Kim renamed the stage MQL to Qualified');
  assert.equal(describeEffect({ kind: 'stage-updated', name: 'MQL', was: 'MQL', fields: ['wip_limit'], event }, names), 'Dana Kim changed the stage MQL (wip limit)');
  assert.equal(describeEffect({ kind: 'stage-deleted', name: 'MQL', count: 2, to: 1, event }, names), 'Dana Kim deleted the stage MQL; 2 leads moved to New');
});
