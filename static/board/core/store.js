// The board in this browser: the state in hand (see reducer.js), the moment it
// shows, the filters, and this browser's own overlays (moves in flight, pages
// loaded, folded columns). One plain object the page's pieces share; the
// functions here are the rules about it. Pure.

/** A fresh store for ``filters`` (nothing loaded yet). */
export function createStore(filters) {
  return {
    state: null,
    // Time travel: null is the live board; an ISO moment shows the board as it
    // stood then (read-only; live events are left out until the way back).
    asOf: null,
    stateAsOf: null, // the moment the state in hand shows (asOf runs ahead while it loads)
    filters,
    folded: null, // Set of folded stage ids, once the state is known
    funnel: null, // the headers' funnel figures (conversion, median days)
    selection: null, // the lead the keyboard cursor is on
    columns: [], // what the canvas draws (model.buildColumns)
    dragging: false, // a card or chip is in the user's hand
    pending: new Map(), // lead id -> {card, from, to, position, awaitSeq}
    inFlight: new Set(), // lead ids with a move request out
    ownSeqs: new Set(), // seqs of this browser's own single moves (already shown)
    loadingStages: new Set(),
    pagesShown: new Map(), // stage id -> pages loaded (a reload asks for as many)
  };
}

/** Drop the in-flight overlay of moves the state now has. */
export function settlePending(store) {
  for (const [id, p] of store.pending) if (p.awaitSeq <= store.state.seq) store.pending.delete(id);
}

/** The seq the sync compares with the log's. In the past the board follows no
 * log: to the sync it is always up to date. */
export function followedSeq(store) {
  if (!store.state) return 0;
  return store.asOf != null ? Number.MAX_SAFE_INTEGER : store.state.seq;
}

/** The column ``stageId`` as drawn now, or undefined. */
export function columnOf(store, stageId) {
  return store.columns.find((c) => c.id === stageId);
}
