// A board with no lead yet says how leads come in, over the canvas: import a CSV
// (opens the importer), or connect the API (its docs). It shows while the live
// board, unfiltered, has no lead in any stage, and goes with the first lead, from
// whoever it comes (``lead.created``, ``leads.imported`` update the stages' counts).

import { filtersActive } from '../core/filters.js';

/** Does the board have no lead at all? (Filtered or in the past: not known.) */
export function boardIsEmpty(state, { filters, asOf }) {
  if (!state || asOf != null || filtersActive(filters)) return false;
  return state.stageOrder.every((id) => !state.stages[id].count);
}

export function createEmptyState(board) {
  const node = document.getElementById('board-empty');
  if (!node) return {};
  const importButton = node.querySelector('[data-empty-import]');
  if (importButton) {
    importButton.addEventListener('click', () => {
      const opener = document.getElementById('import-open');
      if (opener) opener.click();
    });
  }

  function update() {
    node.hidden = !boardIsEmpty(board.state, { filters: board.filters, asOf: board.asOf });
  }

  return { loaded: update, events: update, filters: update, asOf: update };
}
