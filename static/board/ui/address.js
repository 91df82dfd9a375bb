// The filters live in the page's address: a change is pushed to the history
// (a search only replaces it), and Back / Forward bring the filters back. The
// open lead drawer's ``?lead=<id>`` lives beside them: each keeps the other.

import { parseFilters, filtersToSearch, sameFilters } from '../core/filters.js';
import { leadOfSearch, searchWithLead } from '../core/conflict.js';

/** ``changed(filters)``: the board follows new filters (after the address);
 * ``leadChanged(search)``: Back / Forward changed the address (the drawer follows). */
export function createAddress({ store, changed, leadChanged = () => {} }) {
  const lead = () => leadOfSearch(location.search);
  function setFilters(next, { push = true } = {}) {
    if (sameFilters(next, store.filters)) return;
    const onlySearch = sameFilters({ ...next, q: '' }, { ...store.filters, q: '' });
    store.filters = next;
    const url = location.pathname + searchWithLead(filtersToSearch(next), lead());
    if (push && !onlySearch) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    changed(next);
  }
  /** The drawer opened on ``leadId`` (null: closed); ``push``: a new history entry. */
  function setLead(leadId, { push = true } = {}) {
    if (leadId === lead()) return;
    const url = location.pathname + searchWithLead(location.search, leadId);
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }
  window.addEventListener('popstate', () => {
    setFilters(parseFilters(location.search), { push: false });
    leadChanged(location.search);
  });
  return { setFilters, setLead };
}
