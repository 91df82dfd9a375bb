// The lead drawer's pure rules (core/conflict.js): same values, what a save
// sends, which edits collide with someone else's change, the address's ?lead=.

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  attributeKey, compareEdits, eventTouchesLead, fieldValue, inputValue, leadOfSearch,
  patchBody, sameValue, searchWithLead, stayText,
} from '../core/conflict.js';
import { moneyFull } from '../core/format.js';
import { updated, moved, noteCreated, noteDeleted, note, leadsUpdated, feedback, card } from './fixtures.js';

const LEAD = { id: 7, version: 3, name: 'Ada', value: '100.00', score: 40, owner: 2, campaign: null, attributes: { utm_source: 'google', job_level: 'VP' } };

test('money and score compare as numbers, ids as ids, empty text as null', () => {
  assert.ok(sameValue('value', '250.00', 250));
  assert.ok(sameValue('value', '250', '250.0'));
  assert.ok(!sameValue('value', '250', '25'));
  assert.ok(!sameValue('value', '', 0));
  assert.ok(sameValue('score', 40, '40'));
  assert.ok(sameValue('owner', '2', 2));
  assert.ok(sameValue('campaign', null, ''));
  assert.ok(!sameValue('owner', null, 2));
  assert.ok(sameValue('name', '', null));
  assert.ok(sameValue('attributes', { a: 1, b: 2 }, { b: 2, a: 1 }));
  assert.ok(!sameValue('name', 'Ada', 'ada'));
});

test('fields read from a lead, attributes one key at a time', () => {
  assert.equal(attributeKey('attributes.utm_source'), 'utm_source');
  assert.equal(attributeKey('value'), null);
  assert.equal(fieldValue(LEAD, 'attributes.utm_source'), 'google');
  assert.equal(fieldValue(LEAD, 'attributes.missing'), null);
  assert.equal(fieldValue(LEAD, 'campaign'), null);
  assert.equal(inputValue('owner', '5'), 5);
  assert.equal(inputValue('owner', ''), null);
  assert.equal(inputValue('name', '  Ada  '), 'Ada');
});

test('a save sends the field with the version read; an attribute with its siblings', () => {
  assert.deepEqual(patchBody(LEAD, 'value', '250'), { value: '250', version: 3 });
  assert.deepEqual(patchBody(LEAD, 'attributes.utm_source', 'bing'), { attributes: { utm_source: 'bing', job_level: 'VP' }, version: 3 });
  assert.deepEqual(patchBody(LEAD, 'attributes.job_level', null), { attributes: { utm_source: 'google' }, version: 3 });
  assert.deepEqual(LEAD.attributes, { utm_source: 'google', job_level: 'VP' }, 'the lead is not changed');
});

test('their change to my field is a conflict; to another field, or to my value, it is not', () => {
  const edits = { value: { base: '100.00', mine: '250' }, name: { base: 'Ada', mine: 'Ada L.' }, score: { base: 40, mine: 60 } };
  const theirs = { ...LEAD, value: '300.00', name: 'Ada', score: '60', version: 4 };
  const { conflicts, clean } = compareEdits(edits, theirs);
  assert.deepEqual(conflicts, [{ field: 'value', base: '100.00', mine: '250', theirs: '300.00' }]);
  assert.deepEqual(clean.sort(), ['name', 'score']);
  const attr = compareEdits({ 'attributes.utm_source': { base: 'google', mine: 'bing' } }, { ...LEAD, attributes: { utm_source: 'ads' } });
  assert.equal(attr.conflicts[0].theirs, 'ads');
});

test('which stored events concern the open lead', () => {
  const c = card(7, 1, 'a0');
  assert.ok(eventTouchesLead(updated(5, c, ['value']), 7));
  assert.ok(!eventTouchesLead(updated(5, c, ['value']), 8));
  assert.ok(eventTouchesLead(moved(6, { ...c, stage: 2 }, 1), 7));
  assert.ok(eventTouchesLead(noteCreated(7, note(1, 7, 'hi')), 7));
  assert.ok(!eventTouchesLead(noteCreated(7, note(1, 9, 'hi')), 7));
  assert.ok(eventTouchesLead(noteDeleted(8, 1, 7), 7));
  assert.ok(eventTouchesLead(leadsUpdated(9, [c, card(8, 1, 'a1')], ['owner']), 8));
  assert.ok(eventTouchesLead(feedback(10, c, 'accepted'), 7));
  assert.ok(!eventTouchesLead(null, 7));
});

test('?lead= beside the filters', () => {
  assert.equal(leadOfSearch('?campaign=3&lead=12'), 12);
  assert.equal(leadOfSearch('?lead=abc'), null);
  assert.equal(leadOfSearch('?lead=0'), null);
  assert.equal(leadOfSearch(''), null);
  assert.equal(searchWithLead('?campaign=3', 12), '?campaign=3&lead=12');
  assert.equal(searchWithLead('?campaign=3&lead=12', null), '?campaign=3');
  assert.equal(searchWithLead('?lead=12', null), '');
  assert.equal(searchWithLead('', 5), '?lead=5');
});

test('how long a lead stayed, and its value in full', () => {
  assert.equal(stayText(40), '40 s');
  assert.equal(stayText(600), '10 min');
  assert.equal(stayText(7200), '2 h');
  assert.equal(stayText(3 * 86400), '3 days');
  assert.equal(stayText(null), '');
  assert.equal(moneyFull('12500.00', 'USD'), '$12,500');
  assert.equal(moneyFull('1250.5', 'EUR'), '€1,250.50');
});
