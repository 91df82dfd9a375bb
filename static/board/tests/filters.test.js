import test from 'node:test';
import assert from 'node:assert/strict';
import { parseFilters, filtersToSearch, filterParams, cardMatches, filtersActive, emptyFilters, sameFilters, scoreRangeProblem } from '../core/filters.js';

test('query string -> filters, invalid values dropped', () => {
  const f = parseFilters('?campaign=3,5&campaign=7&campaign=x&owner=12&team=sales&score_min=40&score_max=101&q=%20acme%20');
  assert.deepEqual(f, { campaign: [3, 5, 7], owner: 12, team: 'sales', score_min: 40, score_max: null, q: 'acme', overdue: false });
  assert.deepEqual(parseFilters(''), emptyFilters());
  assert.equal(parseFilters('?team=board').team, '');
  assert.equal(parseFilters('?owner=-1').owner, null);
});

test('filters -> query string round-trips and leaves empty ones out', () => {
  const f = { campaign: [3, 5], owner: null, team: 'marketing', score_min: 0, score_max: null, q: 'a b', overdue: false };
  const search = filtersToSearch(f);
  assert.equal(search, '?campaign=3%2C5&team=marketing&score_min=0&q=a+b');
  assert.deepEqual(parseFilters(search), f);
  assert.equal(filtersToSearch(emptyFilters()), '');
  assert.equal(filtersActive(emptyFilters()), false);
  assert.equal(filtersActive({ ...emptyFilters(), q: 'x' }), true);
  assert.ok(sameFilters(parseFilters('?q=x&team=sales'), parseFilters('?team=sales&q=x')));
  assert.equal(filterParams(f).get('campaign'), '3,5');
});

test('a card passes the filters as the server decides', () => {
  const people = { 1: { id: 1, team: 'sales' }, 2: { id: 2, team: 'marketing' } };
  const card = { name: 'Ada Lovelace', email: 'ada@engines.example', company: 'Analytical', campaign: 3, owner: 1, score: 72 };
  assert.ok(cardMatches(card, emptyFilters(), people));
  assert.ok(cardMatches(card, { ...emptyFilters(), campaign: [3, 4] }, people));
  assert.ok(!cardMatches(card, { ...emptyFilters(), campaign: [4] }, people));
  assert.ok(cardMatches(card, { ...emptyFilters(), team: 'sales' }, people));
  assert.ok(!cardMatches(card, { ...emptyFilters(), team: 'marketing' }, people));
  assert.ok(!cardMatches({ ...card, owner: null }, { ...emptyFilters(), team: 'sales' }, people));
  assert.ok(cardMatches(card, { ...emptyFilters(), score_min: 72, score_max: 72 }, people));
  assert.ok(!cardMatches(card, { ...emptyFilters(), score_min: 73 }, people));
  assert.ok(cardMatches(card, { ...emptyFilters(), q: 'ENGINES' }, people));
  assert.ok(cardMatches(card, { ...emptyFilters(), q: 'analy' }, people));
  assert.ok(!cardMatches(card, { ...emptyFilters(), q: 'babbage' }, people));
  assert.ok(!cardMatches(card, { ...emptyFilters(), owner: 2 }, people));
});

test('the Overdue quick filter: in the query string, and a card passes it past its stage\'s SLA', () => {
  const f = parseFilters('?overdue=1&owner=4');
  assert.equal(f.overdue, true);
  assert.equal(filtersToSearch(f), '?owner=4&overdue=1');
  assert.equal(parseFilters('?overdue=yes').overdue, false);
  const now = Date.now();
  const stages = { 1: { id: 1, sla_days: 7 }, 2: { id: 2, sla_days: null } };
  const old = { stage: 1, owner: 4, score: 1, stage_entered_at: new Date(now - 9 * 86_400_000).toISOString() };
  const fresh = { ...old, stage_entered_at: new Date(now - 2 * 86_400_000).toISOString() };
  assert.equal(cardMatches(old, f, {}, stages), true);
  assert.equal(cardMatches(fresh, f, {}, stages), false);
  assert.equal(cardMatches({ ...old, stage: 2 }, f, {}, stages), false); // no SLA: never overdue
  assert.equal(cardMatches({ ...old, owner: 5 }, f, {}, stages), false); // combined with Mine
});

test('a score range whose minimum is above its maximum is said, not applied', () => {
  assert.match(scoreRangeProblem({ score_min: 80, score_max: 20 }), /minimum score \(80\) is above the maximum \(20\)/);
  assert.equal(scoreRangeProblem({ score_min: 20, score_max: 80 }), null);
  assert.equal(scoreRangeProblem({ score_min: 50, score_max: 50 }), null);
  assert.equal(scoreRangeProblem({ score_min: 80, score_max: null }), null);
});
