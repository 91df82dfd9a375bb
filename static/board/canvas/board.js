// The canvas as the page uses it: the view (view.js) fed from the store, what
// each card shows (owner, campaign colour, days in stage as of the moment
// shown), folding columns, and the tooltip.

import { createView } from './view.js';
import { createMeasurer } from './text.js';
import { createFolds } from './folds.js';
import { teamColor } from './theme.js';
import { buildColumns, cardFor, defaultFolded, returnedBySales } from '../core/model.js';
import { filtersActive } from '../core/filters.js';
import { aging } from '../core/format.js';
import { addToTestHook } from '../ui/hook.js';

/**
 * ``mayDrag()``: may cards be dragged now (edit rights, the live board);
 * ``maySetUp()``: may the stages be changed now (the owner, the live board);
 * hooks: {dropCard(leadId, from, to, index), dropChip(campaignId, from, to),
 * dropColumn(stageId, index), stageMenu(stageId, rect), needMore(stageId),
 * select(leadId), dragState(active)}.
 */
export function createBoardCanvas({ store, boardId, mayDrag, maySetUp = () => false, canvasEl, tooltipEl, hooks }) {
  const folds = createFolds(boardId);
  const measure = createMeasurer(document.createElement('canvas').getContext('2d'));
  let renderNow = Date.now();

  function cardInfo(id) {
    const { state } = store;
    const card = cardFor(state, store.pending, id);
    if (!card) return null;
    const stage = state.stages[card.stage];
    const owner = card.owner != null ? state.people[card.owner] : null;
    const campaign = card.campaign != null ? state.campaigns[card.campaign] : null;
    return {
      card,
      ownerName: owner ? owner.name : '',
      campaignColor: campaign ? campaign.color : null,
      currency: state.board ? state.board.currency : undefined,
      aging: aging(card, stage, renderNow),
      accent: teamColor(stage ? stage.team : null),
      returned: returnedBySales(card, stage),
      draggable: mayDrag() && !store.inFlight.has(id),
    };
  }

  // For the browser tests: the badges the card is drawn with.
  addToTestHook('cardBadges', (id) => {
    const info = cardInfo(Number(id));
    return info && info.returned ? ['returned-badge'] : [];
  });

  function render() {
    const { state } = store;
    if (!state) return;
    renderNow = store.stateAsOf ? Date.parse(store.stateAsOf) : Date.now(); // days in stage as they were then
    if (!store.folded) store.folded = folds.read(state, defaultFolded);
    const active = filtersActive(store.filters);
    const { pending, folded, funnel, loadingStages } = store;
    const sortable = store.asOf == null; // the past is shown in board order
    store.columns = buildColumns(state, { pending, folded, funnel }).map((c) => ({ ...c, loading: loadingStages.has(c.id), filtered: active, sortable }));
    view.render({ columns: store.columns });
  }

  const view = createView(canvasEl, {
    get canEdit() {
      return mayDrag(); // no drags in the past
    },
    get canSetUp() {
      return maySetUp();
    },
    measure,
    cardInfo,
    ...hooks,
    toggleFold(stageId) {
      if (store.folded.has(stageId)) store.folded.delete(stageId);
      else store.folded.add(stageId);
      folds.save(store.folded);
      render();
    },
    tooltip(text, x, y) {
      if (!text) {
        tooltipEl.hidden = true;
        return;
      }
      tooltipEl.textContent = text;
      tooltipEl.hidden = false;
      tooltipEl.style.left = `${Math.round(x + 14)}px`;
      tooltipEl.style.top = `${Math.round(y + 16)}px`;
    },
  });

  // For the touch tests: the gesture seen last, the board's pan, a column's scroll.
  addToTestHook('touch', () => ({ ...view.touchState(), pan: view.pan, zoom: view.zoom }));
  addToTestHook('scrollOf', (stageId) => view.scrollOf(Number(stageId)));

  return { view, render };
}
