// The funnel figures of the column headers (conversion, median days in stage),
// for the filters and moment shown: after moves (a little behind, so a burst
// costs one request) and now and then. Optional: a 404 just leaves them out.

// After the last of a burst of moves: the headers' conversion and the panel's
// charts (which follow these figures, panels/panel.js ``funnel``) update together.
const AFTER_MOVES_MS = 600;
const EVERY_MS = 120_000;

/** parts: {store, api, render, notify, ended() (the live link ended: stop asking)} */
export function createFigures({ store, api, render, notify, ended }) {
  let timer = null;

  async function load() {
    try {
      const moment = store.asOf;
      const next = await api.funnel(store.filters, { asOf: moment });
      if (moment !== store.asOf) return; // figures of another moment would mislead
      store.funnel = next;
    } catch (error) {
      if (error.status !== 404) console.warn('funnel figures unavailable:', error.message);
      return;
    }
    render();
    notify('funnel', store.funnel);
  }

  setInterval(() => {
    if (!ended() && document.visibilityState === 'visible') load();
  }, EVERY_MS);

  return {
    load,
    /** Moves changed the figures: load them once things settle. */
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(load, AFTER_MOVES_MS);
    },
  };
}
