// The board's filters <-> the page's query string (the same names /state/ takes,
// see leads/filters.py), and whether a card passes them. Pure.
// The quick filters are two of them: "Mine" is ``owner`` = me, "Overdue" is
// ``overdue`` (past the stage's SLA, the rule of format.js ``aging``).

import { aging } from './format.js';

export const TEAMS = ['marketing', 'sales', 'management'];
const MAX_ID = 2 ** 53 - 1;

export function emptyFilters() {
  return { campaign: [], owner: null, team: '', score_min: null, score_max: null, q: '', overdue: false };
}

function id(text) {
  const s = String(text ?? '').trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= MAX_ID ? n : null;
}

function score(text) {
  const s = String(text ?? '').trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= 0 && n <= 100 ? n : null;
}

/** Filters from a query string (or URLSearchParams); invalid values are dropped. */
export function parseFilters(search) {
  const params = search instanceof URLSearchParams ? search : new URLSearchParams(search || '');
  const filters = emptyFilters();
  const campaigns = [];
  for (const value of params.getAll('campaign')) {
    for (const part of value.split(',')) {
      const n = id(part);
      if (n != null && !campaigns.includes(n)) campaigns.push(n);
    }
  }
  filters.campaign = campaigns;
  filters.owner = id(params.get('owner'));
  const team = (params.get('team') || '').trim();
  filters.team = TEAMS.includes(team) ? team : '';
  filters.score_min = score(params.get('score_min'));
  filters.score_max = score(params.get('score_max'));
  filters.q = (params.get('q') || '').trim().slice(0, 200);
  filters.overdue = params.get('overdue') === '1';
  return filters;
}

/** The filters as query parameters, in a stable order, empty ones left out. */
export function filterParams(filters) {
  const params = new URLSearchParams();
  const f = { ...emptyFilters(), ...filters };
  if (f.campaign && f.campaign.length) params.set('campaign', f.campaign.join(','));
  if (f.owner != null) params.set('owner', String(f.owner));
  if (f.team) params.set('team', f.team);
  if (f.score_min != null) params.set('score_min', String(f.score_min));
  if (f.score_max != null) params.set('score_max', String(f.score_max));
  if (f.q) params.set('q', f.q);
  if (f.overdue) params.set('overdue', '1');
  return params;
}

/** "?campaign=3&q=acme" or "" (for the page URL). */
export function filtersToSearch(filters) {
  const text = filterParams(filters).toString();
  return text ? `?${text}` : '';
}

export function filtersActive(filters) {
  return filterParams(filters).toString() !== '';
}

export function sameFilters(a, b) {
  return filterParams(a).toString() === filterParams(b).toString();
}

/** A score range the server would refuse (leads/filters.py): the message, or null. */
export function scoreRangeProblem(filters) {
  const { score_min: low, score_max: high } = filters || {};
  if (low != null && high != null && low > high) return `The minimum score (${low}) is above the maximum (${high}): nothing would match.`;
  return null;
}

/** Does a card pass the filters? ``people`` by user id, with their team on the
 * board (the ``team`` filter is the owner's team, as on the server); ``stages``
 * by id, for ``overdue`` (without them a card is taken to pass it). */
export function cardMatches(card, filters, people = {}, stages = null) {
  if (!filters) return true;
  const f = filters;
  if (f.campaign && f.campaign.length && !f.campaign.includes(card.campaign)) return false;
  if (f.owner != null && card.owner !== f.owner) return false;
  if (f.team) {
    const owner = card.owner != null ? people[card.owner] : null;
    if (!owner || owner.team !== f.team) return false;
  }
  if (f.score_min != null && !(card.score >= f.score_min)) return false;
  if (f.score_max != null && !(card.score <= f.score_max)) return false;
  if (f.overdue && stages && !aging(card, stages[card.stage]).overdue) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const hay = [card.name, card.email, card.company].map((s) => String(s || '').toLowerCase());
    if (!hay.some((s) => s.includes(q))) return false;
  }
  return true;
}
