// Campaigns from the board (panels/campaigns.js) and the chip's cost-missing flag
// (canvas/layout.js): what the dialog sends, how a refusal reads, what a chip says.
import test from 'node:test';
import assert from 'node:assert/strict';
import { changedFields, chipTip, fieldErrors, formValues } from '../panels/campaigns.js';
import { chipsLayout } from '../canvas/layout.js';

test('the form sends empty cost and days as null (cost missing, no date), text trimmed', () => {
  const inputs = { name: ' Spring Expo ', channel: 'event', cost: ' ', starts_on: '', ends_on: '2026-04-30', external_id: 'utm-x' };
  assert.deepEqual(formValues((name) => inputs[name]), {
    name: 'Spring Expo',
    channel: 'event',
    cost: null,
    starts_on: null,
    ends_on: '2026-04-30',
    external_id: 'utm-x',
  }); // the colour row was hidden (a new campaign takes the board's next colour)
});

test('an edit sends only what changed; a cost compares as a number, a colour in any case', () => {
  const before = { name: 'Webinar', channel: 'webinar', cost: 1200, starts_on: null, ends_on: null, color: '#6366f1', external_id: '' };
  const same = { name: 'Webinar', channel: 'webinar', cost: '1200.00', starts_on: null, ends_on: null, color: '#6366F1', external_id: '' };
  assert.deepEqual(changedFields(same, before), {});
  assert.deepEqual(changedFields({ ...same, cost: '1300', ends_on: '2026-01-31' }, before), { cost: '1300', ends_on: '2026-01-31' });
  assert.deepEqual(changedFields({ ...same, cost: null }, before), { cost: null }); // cleared: cost missing again
  assert.deepEqual(changedFields({ ...same, cost: '99' }, { ...before, cost: null }), { cost: '99' }); // entered
  assert.deepEqual(changedFields({ ...same, cost: null }, { ...before, cost: null }), {});
  assert.deepEqual(changedFields({ ...same, cost: 'lots' }, before), { cost: 'lots' }); // the server says why not
});

test("the server's refusal lands on its field; others are said in the banner", () => {
  assert.deepEqual(fieldErrors({ detail: 'name: This board already has…', name: ['This board already has…'] }), {
    fields: { name: 'This board already has…' },
    other: [],
  });
  assert.deepEqual(fieldErrors({ detail: 'x', cost: ['Ensure that there are no more than 2 decimal places.'], budget: ['Unknown field; it cannot be changed here.'] }), {
    fields: { cost: 'Ensure that there are no more than 2 decimal places.' },
    other: ['budget: Unknown field; it cannot be changed here.'],
  });
  assert.deepEqual(fieldErrors(null), { fields: {}, other: [] });
});

test("a chip's tooltip names the campaign and a missing cost", () => {
  assert.equal(chipTip({ name: 'Webinar', channel: 'webinar', cost: 100 }), 'Webinar · webinar');
  assert.match(chipTip({ name: 'Expo', channel: '', cost: null }), /^Expo\nCost missing/);
  assert.equal(chipTip(null), null);
});

test('a chip with its cost missing is wider by its flag, and still fits its column', () => {
  const measure = (t) => Array.from(t).length * 7;
  const plain = chipsLayout([{ id: 1, name: 'Expo', count: 3 }], 280, measure).chips[0];
  const flagged = chipsLayout([{ id: 1, name: 'Expo', count: 3, costMissing: true }], 280, measure).chips[0];
  assert.equal(plain.flagW, 0);
  assert.ok(flagged.flagW > 0);
  assert.equal(flagged.w, plain.w + flagged.flagW + 6);
  const long = chipsLayout([{ id: 1, name: 'A very long campaign name that will not fit', count: 3, costMissing: true }], 200, measure).chips[0];
  assert.ok(long.w <= 200 && long.label.endsWith('…'));
});
