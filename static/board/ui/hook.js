// A small read-only hook for end-to-end tests (Playwright drags real mice on
// the canvas): where things are drawn, in page CSS pixels, and what is where.
//
//   window.funnelboard.ready            resolves once the first state is drawn
//   cardRect(leadId)                    the card's visible rect, or null (not loaded,
//                                       scrolled out of its column, or folded)
//   chipRect(campaignId, stageId)       a campaign chip, or null
//   columnRect(stageId)                 a whole column (folded ones are narrow)
//   headerRect(stageId)                 its header (the owner drags a column by it)
//   stageMenuRect(stageId)              the header's ⋯ menu button (owners), or null
//   headerText(stageId)                 {count ("7 / 3" with a WIP limit), overdue, wipFill}
//   stageOrder()                        the stage ids in funnel order, as drawn
//   columnName(stageId)                 the name its header shows
//   cardsIn(stageId)                    lead ids of the column, in drawn order
//   status(), seq(), zoom(), frameTimes (rAF deltas recorded during drags)
//   counts()                            {stage id: count} as the headers show them
//   asOf()                              the moment shown (ISO string), null when live
//   features add their own with addToTestHook(name, fn): panelCharts(),
//   exportImage(options), replayStatus() (numbers: panel, export, time bar)
//   touch() {kind, last, lifted, pan, zoom} and scrollOf(stageId) (canvas/board.js: touch)
//
// Drop semantics: releasing the mouse over the card now at index k of a column
// puts the dragged card at index k (it pushes that card down); below the last
// card, at the end; anywhere over a folded column, at the top. A drag starts
// after 3 px of movement: move in steps (page.mouse.move(x, y, {steps})).

const extras = {};

/** A feature's read-out for the tests, installed with (or after) the hook. */
export function addToTestHook(name, fn) {
  extras[name] = fn;
  if (typeof window !== 'undefined' && window.funnelboard) window.funnelboard[name] = fn;
}

export function installTestHook({ view, columns, status, seq, asOf = () => null, ready }) {
  const frameTimes = [];
  let raf = null;
  let last = null;
  const tick = (t) => {
    if (last != null) {
      frameTimes.push(Math.round((t - last) * 100) / 100);
      if (frameTimes.length > 5000) frameTimes.splice(0, frameTimes.length - 5000);
    }
    last = t;
    raf = requestAnimationFrame(tick);
  };
  const hook = {
    ready,
    cardRect: (leadId) => view.cardRectPage(Number(leadId)),
    chipRect: (campaignId, stageId) => view.chipRectPage(Number(campaignId), Number(stageId)),
    columnRect: (stageId) => view.columnRectPage(Number(stageId)),
    headerRect: (stageId) => view.headerRectPage(Number(stageId)),
    stageMenuRect: (stageId) => view.stageMenuRectPage(Number(stageId)),
    headerText: (stageId) => view.headerText(Number(stageId)),
    stageOrder: () => columns().map((c) => c.id),
    columnName: (stageId) => (columns().find((c) => c.id === Number(stageId)) || {}).name ?? null,
    cardsIn: (stageId) => {
      const col = columns().find((c) => c.id === Number(stageId));
      return col ? col.ids.slice() : [];
    },
    counts: () => Object.fromEntries(columns().map((c) => [c.id, c.count])),
    status,
    seq,
    asOf,
    frameTimes,
    zoom: () => view.zoom,
    ...extras,
  };
  window.funnelboard = hook;
  return {
    /** Record requestAnimationFrame deltas while a drag is in progress. */
    dragging(active) {
      if (active && raf == null) {
        last = null;
        raf = requestAnimationFrame(tick);
      } else if (!active && raf != null) {
        cancelAnimationFrame(raf);
        raf = null;
      }
    },
  };
}
