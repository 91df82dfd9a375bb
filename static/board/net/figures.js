// The funnel figures of the column headers (conversion, median days in stage),
// for the filters and moment shown: on the live board without filters, as the
// server pushes them after moves (``numbers.updated``, funnel.realtime.numbers_push),
// asked for only when no push comes within PUSH_WAIT_MS; otherwise after moves (a
// little behind, so a burst costs one request) and now and then. Optional: a 404 just leaves them out.
// In a replay (every frame moves the moment on) they follow it: asked for at
// least every MAX_WAIT_MS, one request at a time, and an answer for a moment
// the replay has passed is kept (it is nearer than the replay's start) while
// the next is asked for.

import { filtersActive, sameFilters } from '../core/filters.js';
import { addToTestHook } from '../ui/hook.js';

// After the last of a burst of moves: the headers' conversion and the panel's
// charts (which follow these figures, panels/panel.js ``funnel``) update together.
const AFTER_MOVES_MS = 600;
const MAX_WAIT_MS = 1500; // a replay's (or a busy board's) steady stream of moves
const EVERY_MS = 120_000;
// A change with no numbers.updated this long after it (the socket is down, the
// server's push failed): ask.
export const PUSH_WAIT_MS = 5000;

/** Does the server's push (the default view: live, no filters) stand for the
 * view ``{filters, asOf}``? Pure. */
export function pushApplies({ filters, asOf }) {
  return asOf == null && !filtersActive(filters);
}

/**
 * ``fetch`` unless a push comes: ``changed()`` starts a wait of ``wait`` ms (one at
 * a time), ``pushed()`` ends it. Returns {changed, pushed}.
 */
export function awaitPush(fetch, { wait = PUSH_WAIT_MS } = {}) {
  let timer = null;
  return {
    changed() {
      if (timer != null) return;
      timer = setTimeout(() => {
        timer = null;
        fetch();
      }, wait);
    },
    pushed() {
      clearTimeout(timer);
      timer = null;
    },
  };
}

/**
 * ``fn`` once things settle: ``delay`` ms after the last call, but at least every
 * ``maxWait`` ms while calls keep coming. Returns ``call(delay?)``.
 */
export function settling(fn, { delay = AFTER_MOVES_MS, maxWait = MAX_WAIT_MS, now = () => Date.now() } = {}) {
  let timer = null;
  let first = 0;
  return (wait = delay) => {
    const t = now();
    if (timer == null) first = t;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, Math.max(0, Math.min(wait, first + maxWait - t)));
  };
}

/**
 * May an answer asked for ``ask`` ({filters, asOf}) be shown on a board that now
 * shows ``now``? The same filters, and the same moment, or both in the past (a
 * replay or the slider moved on: the moment it passed beats the one before).
 * Live figures never stand for the past, nor the past's for live. Pure.
 */
export function answerFits(ask, now) {
  if (!sameFilters(ask.filters, now.filters)) return false;
  return ask.asOf === now.asOf || (ask.asOf != null && now.asOf != null);
}

/** Is the answer ``next`` of an earlier seq than the figures ``shown``? Pure. */
export function olderThanShown(next, shown) {
  return shown != null && next != null && next.seq != null && shown.seq != null && next.seq < shown.seq;
}

/** parts: {store, api, render, notify, ended() (the live link ended: stop asking)} */
export function createFigures({ store, api, render, notify, ended }) {
  let asked = 0; // tickets: a later ask's answer is never replaced by an earlier one's
  let shownTicket = 0;
  let shownAsOf = null; // the moment the figures on screen are of
  let running = false;
  let again = false;

  async function load() {
    // Between live and the past, the figures on screen are of the other: gone until
    // the new ones come (a header without conversion beats a wrong one).
    if (store.funnel && (shownAsOf == null) !== (store.asOf == null)) {
      store.funnel = null;
      render();
    }
    if (running) {
      again = true; // one at a time: the next asks for the moment shown then
      return;
    }
    running = true;
    const ticket = ++asked;
    const ask = { filters: store.filters, asOf: store.asOf };
    try {
      const next = await api.funnel(ask.filters, { asOf: ask.asOf });
      // Figures of another moment or filters would mislead; so would live ones older
      // than those shown (the server may answer with its latest while it computes).
      const older = ask.asOf == null && shownAsOf == null && olderThanShown(next, store.funnel);
      if (ticket > shownTicket && !older && answerFits(ask, { filters: store.filters, asOf: store.asOf })) {
        shownTicket = ticket;
        shownAsOf = ask.asOf;
        store.funnel = next;
        if (ask.asOf !== store.asOf) again = true; // a replay moved on: ask for where it is now
        render();
        notify('funnel', store.funnel);
      } else if (ask.asOf !== store.asOf || !sameFilters(ask.filters, store.filters)) {
        again = true;
      }
    } catch (error) {
      if (error.status !== 404) console.warn('funnel figures unavailable:', error.message);
    } finally {
      running = false;
      if (again) {
        again = false;
        soon();
      }
    }
  }
  const soon = settling(load);
  const waiting = awaitPush(load);
  let pushes = 0;

  /** The server's numbers.updated: the headers' figures when they stand for the view. */
  function pushed(message) {
    if (!pushApplies({ filters: store.filters, asOf: store.asOf })) return;
    const shown = store.funnel && shownAsOf == null ? store.funnel.seq : null;
    if (shown != null && message.seq < shown) return; // an answer already past it
    waiting.pushed();
    pushes += 1;
    shownTicket = ++asked; // an answer asked for before this one is older
    shownAsOf = null;
    store.funnel = message.funnel;
    render();
    notify('funnel', store.funnel, { pushed: true });
  }

  setInterval(() => {
    if (!ended() && document.visibilityState === 'visible') load();
  }, EVERY_MS);

  addToTestHook('headerFigures', () => ({
    asOf: store.funnel ? shownAsOf : null,
    shown: store.funnel != null,
    stages: store.funnel ? (store.funnel.stages || []).map((s) => ({ id: s.id, conversion: s.conversion_to_next ?? null })) : [],
    seq: store.funnel ? store.funnel.seq ?? null : null,
    pushes,
  }));

  return {
    load,
    /** Moves changed the figures (a replay's too): the server pushes the live
     * board's; others are loaded once things settle. */
    schedule() {
      if (pushApplies({ filters: store.filters, asOf: store.asOf })) waiting.changed();
      else soon();
    },
    /** A feature's ``message`` (ui/features.js): the server's pushes. */
    message(message) {
      if (message.type === 'numbers.updated') pushed(message);
    },
  };
}
