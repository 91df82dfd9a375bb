// How a column's cards are ordered in the person's sort of it (the stage's
// ``sort`` in /state/): board order (``position``), oldest in stage first,
// highest value or score first; ties by lead id. The orders are the server's
// (leads.rules.CARD_SORT_ORDER, page config ``rules.card_sort_order``), handed
// over once with ``setCardSortOrder``; board order needs none. Pure.

import { compareRanks } from './rank.js';

let ORDER = { position: { field: 'position', descending: false } };

/** The server's table ``{sort: {field, descending}}`` (page config). */
export function setCardSortOrder(table) {
  if (table && typeof table === 'object') ORDER = { ...ORDER, ...table };
}

export function knownSort(sort) {
  return sort != null && Object.hasOwn(ORDER, sort);
}

function fieldOrder(field, a, b) {
  if (field === 'position') return compareRanks(a.position, b.position);
  if (field === 'stage_entered_at') return Date.parse(a.stage_entered_at) - Date.parse(b.stage_entered_at);
  return Number(a[field]) - Number(b[field]);
}

/** Negative when card ``a`` comes before ``b`` in ``sort`` (unknown: board order). */
export function compareBySort(a, b, sort = 'position') {
  const order = ORDER[sort] || ORDER.position;
  const by = fieldOrder(order.field, a, b);
  return (order.descending ? -by : by) || a.id - b.id;
}

/** May a drop reorder a column in this sort? Only board order is a shared order. */
export function reorderable(sort) {
  return !sort || sort === 'position';
}
