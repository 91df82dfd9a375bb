// Time travel: the board as it stood at a moment (read-only; live events are
// left out), Replay's made-up events of past moves, and the way back to live,
// which reloads the live board.

/** parts: {store, follow (follow.js), figures (figures.js), render, notify} */
export function createTimeTravel({ store, follow, figures, render, notify }) {
  function show() {
    if (store.asOf == null) delete document.body.dataset.asOf;
    else document.body.dataset.asOf = store.asOf;
    render(); // drags are off in the past, days in stage count to the moment shown
    notify('asOf', store.asOf);
  }

  return {
    /**
     * Show the board as it stood at ``moment`` (ISO string or Date), or live (null).
     * Resolves once the board is drawn; rejects (and stays where it was) when the
     * server refuses the moment, e.g. before the board began.
     */
    async setAsOf(moment) {
      const next = moment == null ? null : new Date(moment).toISOString();
      if (next === store.asOf) return;
      const previous = store.asOf;
      store.asOf = next;
      if (next == null) {
        store.state = store.state && { ...store.state, touched: {} }; // replayed moves are not the live board's
        show();
        await follow.sync.reload();
        figures.load();
        return;
      }
      try {
        await follow.load();
      } catch (error) {
        store.asOf = previous;
        show();
        if (previous == null) follow.sync.catchUp().catch(() => {});
        throw error;
      }
      show();
      figures.load();
    },

    /** Replay: apply made-up events of past moves (seqs follow the state's own, not
     * the log's) and move the board's moment on to ``moment``. Only in the past.
     * ``labels``: "moved by" labels on the travelling cards (too many at speed). */
    playEvents(events, moment, { labels = true } = {}) {
      if (store.asOf == null || !store.state) return;
      store.asOf = store.stateAsOf = new Date(moment).toISOString();
      follow.apply(events, { replay: true, labels });
      show();
    },
  };
}
