// Following the server: load /state/ (as many pages per stage as were shown),
// page a stage further, apply stored events in seq order through the sync
// (sync.js), and a write's answer the moment it is next. Events are announced
// to screen readers and shown as travelling cards.

import { loadState, applyEvents, mergePage } from '../core/reducer.js';
import { sameFilters } from '../core/filters.js';
import { createSync } from '../core/sync.js';
import { settlePending, followedSeq } from '../core/store.js';
import { stageName } from '../core/model.js';
import { describeEffect } from '../ui/a11y.js';
import { leadIdsOf, travelsOf } from '../canvas/travels.js';

const PAGE = 50;
const MAX_TRAVELS = 40; // a catch-up after a long gap is not a show

/**
 * parts: {store, api, me, view, render, toast, announce, notify(name, ...args),
 * loaded() (after a load, before drawing), changed() (events moved cards),
 * signedOut()}
 */
export function createFollow({ store, api, me, view, render, toast, announce, notify, loaded, changed, signedOut }) {
  const names = {
    stageName: (id) => stageName(store.state, id),
    campaignName: (id) => (store.state && store.state.campaigns[id] ? store.state.campaigns[id].name : 'campaign'),
    me,
  };

  async function load() {
    const pages = Math.max(1, ...store.pagesShown.values());
    const perStage = Math.min(500, pages * PAGE);
    const asked = store.filters;
    const moment = store.asOf;
    const data = await api.state(asked, { perStage, asOf: moment });
    if (moment !== store.asOf) return; // the time bar moved on; the load for its moment follows
    store.state = loadState(data, asked, store.state);
    store.stateAsOf = moment;
    store.loadingStages.clear();
    settlePending(store);
    loaded();
    render();
    notify('loaded', store.state);
  }

  async function loadMore(stageId) {
    const stage = store.state && store.state.stages[stageId];
    if (!stage || !stage.next || store.loadingStages.has(stageId)) return;
    const cursor = stage.next;
    const asked = store.filters;
    const moment = store.asOf;
    store.loadingStages.add(stageId);
    render();
    try {
      const page = await api.state(asked, { perStage: PAGE, stage: stageId, cursor, asOf: moment });
      const { state } = store;
      // Only if the column is still the one this page continues.
      if (sameFilters(asked, store.filters) && moment === store.asOf && state.stages[stageId] && state.stages[stageId].next === cursor) {
        store.state = mergePage(state, stageId, page);
        store.pagesShown.set(stageId, (store.pagesShown.get(stageId) || 1) + 1);
      }
    } catch (error) {
      toast(`Could not load more of ${stageName(store.state, stageId)}: ${error.message}`, { kind: 'error' });
    } finally {
      store.loadingStages.delete(stageId);
      render();
    }
  }

  /** Apply stored events; ``replay``: made-up events of past moves (time bar's
   * Replay), shown without announcements (``labels``: "moved by" labels or not).
   * Live events wait while in the past. */
  function apply(events, { replay = false, labels = true } = {}) {
    if (!store.state || (store.asOf != null && !replay)) return;
    const before = view.snapshot(leadIdsOf(events));
    const result = applyEvents(store.state, events);
    store.state = result.state;
    settlePending(store);
    render();
    if (!replay) {
      for (const effect of result.effects) {
        const text = describeEffect(effect, names);
        if (text) announce(text);
      }
    }
    const travels = travelsOf(result.effects, { me, before, ownSeqs: store.ownSeqs, replay, labels });
    view.animate(before, travels.length > MAX_TRAVELS ? [] : travels);
    if (result.refetch) scheduleRefetch();
    if (result.effects.some((e) => e.kind !== 'updated' && e.kind !== 'member')) changed(); // people move no card
    notify('events', events, result.effects);
  }

  const sync = createSync({
    seq: () => followedSeq(store),
    apply,
    load,
    fetchEvents: (after, limit) => api.events(after, limit),
    onError(error) {
      if (error.status === 401 || error.status === 403) signedOut();
    },
  });

  let refetchTimer = null;
  function scheduleRefetch() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => sync.reload(), 600);
  }

  /** After a write answered with ``seq``: the socket usually brings the event at
   * once; if it has not come shortly, fetch it (the socket may be down). */
  function expectSeq(seq) {
    setTimeout(() => {
      if (store.state && store.state.seq < seq) sync.expect(seq);
    }, 700);
  }

  return {
    sync,
    load,
    loadMore,
    apply,
    /** A write's answer carries its stored event, the one the socket brings every
     * other browser: apply exactly that now when it is next. Past a gap the socket
     * usually brings the events before it at once; if not shortly, fetch them. */
    applyAnswer(event) {
      const { state } = store;
      if (!event || !state || store.asOf != null) return;
      if (state.seq === event.seq - 1) sync.receive(event);
      else if (state.seq < event.seq) expectSeq(event.seq);
    },
  };
}
