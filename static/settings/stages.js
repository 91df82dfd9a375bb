// The settings page's stages table: rows reordered by dragging their handle
// (SortableJS), which posts the new order as the page's own form does
// (``stages-order``, funnel/pages/sections/stages.py); keyboard users have each
// row's up and down buttons, which work without this script. Bundled by esbuild
// into static/dist/settings.js (no CDN).

import Sortable from 'sortablejs';

/** The stage ids of the table's rows, in their order now. */
export function rowOrder(tbody) {
  return [...tbody.querySelectorAll('tr[data-stage-id]')].map((row) => row.dataset.stageId);
}

export function enableStageDrag(doc = document) {
  const tbody = doc.querySelector('[data-stages-sortable]');
  const form = doc.getElementById('stages-order-form');
  if (!tbody || !form) return null;
  const before = rowOrder(tbody).join(',');
  return Sortable.create(tbody, {
    handle: '.drag-handle',
    draggable: 'tr[data-stage-id]',
    animation: 150,
    ghostClass: 'stage-row-ghost',
    // Pointer events rather than the browser's drag and drop: the same in every
    // browser, and a table row follows the pointer as it is dragged.
    forceFallback: true,
    fallbackTolerance: 3,
    onEnd() {
      const order = rowOrder(tbody).join(',');
      if (order === before) return;
      form.querySelector('[data-stages-order]').value = order;
      tbody.classList.add('is-saving');
      form.submit();
    },
  });
}

if (typeof document !== 'undefined') enableStageDrag();
