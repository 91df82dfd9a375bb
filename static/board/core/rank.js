// Card ranks: a card's ``position`` is a key of rocicorp's fractional-indexing
// algorithm, the same keys the server computes (leads/ranks.py runs the PyPI port
// of this package; tests/leads/test_ranks.py checks both give the same keys).
//
// Ranks compare by their code units, which for these ASCII keys are their bytes,
// as the database compares them (collation "C" on PostgreSQL, BINARY on SQLite).
// Never ``localeCompare``: a language order puts "a" before "B".

import { generateKeyBetween } from 'fractional-indexing';

/** Byte order of two ranks: -1, 0 or 1. */
export function compareRanks(a, b) {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * The rank the server gives a card placed between ranks ``before`` and ``after``
 * (null: that side is open), as ``leads.ranks.rank_between`` computes it. Two
 * neighbours sharing a rank leave nothing between them: the card takes it too
 * (the id then orders it among them).
 */
export function rankBetween(before, after) {
  if (before != null && before === after) return before;
  return generateKeyBetween(before ?? null, after ?? null);
}
