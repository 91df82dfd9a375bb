// The filters live in the page's address: a change is pushed to the history
// (a search only replaces it), and Back / Forward bring the filters back.

import { parseFilters, filtersToSearch, sameFilters } from '../core/filters.js';

/** ``changed(filters)``: the board follows new filters (after the address). */
export function createAddress({ store, changed }) {
  function setFilters(next, { push = true } = {}) {
    if (sameFilters(next, store.filters)) return;
    const onlySearch = sameFilters({ ...next, q: '' }, { ...store.filters, q: '' });
    store.filters = next;
    const url = location.pathname + filtersToSearch(next);
    if (push && !onlySearch) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    changed(next);
  }
  window.addEventListener('popstate', () => setFilters(parseFilters(location.search), { push: false }));
  return { setFilters };
}
