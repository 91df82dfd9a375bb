// The column's sort menu (a header's "⇅"): board order, oldest in stage first,
// highest value, highest score (the server's list, page config
// ``rules.card_sorts``). The choice is the person's own, remembered per stage
// on the server (PUT /api/boards/<id>/me/card-sort/); /state/ then pages the
// column in it (its ``sort``), so "oldest first" shows the oldest of all the
// column's leads, not of the cards loaded. Only board order is a shared order:
// a drop inside a sorted column is refused with a word (``refuseReorder``).

import { request } from '../net/api.js';
import { setCardSortOrder } from '../core/cardsort.js';
import { addToTestHook } from '../ui/hook.js';
import { popSlot } from '../ui/popup.js';

export function createCardSort(board) {
  const sorts = (board.config.rules && board.config.rules.card_sorts) || [['position', 'Board order']];
  setCardSortOrder(board.config.rules && board.config.rules.card_sort_order);
  const labels = new Map(sorts);
  const slot = popSlot();
  const closeMenu = (how) => slot.close(how);

  const sortOf = (stageId) => (board.state && board.state.stages[stageId] && board.state.stages[stageId].sort) || 'position';
  const name = (stageId) => (board.state && board.state.stages[stageId] ? board.state.stages[stageId].name : 'this column');

  /** Every stage's sort now, with ``stageId`` set to ``sort`` (what is PUT). */
  function sortsWith(stageId, sort) {
    const all = {};
    for (const id of board.state ? board.state.stageOrder : []) {
      const s = id === stageId ? sort : sortOf(id);
      if (s !== 'position') all[String(id)] = s;
    }
    return all;
  }

  async function choose(stageId, sort) {
    closeMenu({ focusBoard: true });
    if (sort === sortOf(stageId)) return;
    try {
      await request('PUT', `/api/boards/${board.id}/me/card-sort/`, { json: { sorts: sortsWith(stageId, sort) } });
    } catch (error) {
      board.toast(`The sort was not saved: ${error.message}`, { kind: 'error' });
      return;
    }
    board.announce(`${name(stageId)}: ${labels.get(sort) || sort}`);
    board.reload(); // /state/ answers the column in its new sort
  }

  function openMenu(stageId, rect) {
    closeMenu();
    if (!board.state || !board.state.stages[stageId]) return;
    const current = sortOf(stageId);
    const menu = document.createElement('div');
    menu.className = 'stage-menu card-sort-menu';
    menu.id = 'card-sort-menu';
    menu.setAttribute('role', 'menu');
    menu.setAttribute('aria-label', `Sort ${name(stageId)}`);
    const head = document.createElement('p');
    head.className = 'card-sort-head muted';
    head.textContent = `Sort ${name(stageId)} (just for you)`;
    menu.append(head);
    for (const [key, label] of sorts) {
      const item = document.createElement('button');
      item.type = 'button';
      item.setAttribute('role', 'menuitemradio');
      item.setAttribute('aria-checked', String(key === current));
      item.dataset.sort = key;
      item.textContent = `${key === current ? '✓ ' : ''}${label}`;
      item.addEventListener('click', () => choose(stageId, key));
      menu.append(item);
    }
    if (current !== 'position') {
      const note = document.createElement('p');
      note.className = 'card-sort-note muted';
      note.textContent = 'Cards keep this order: to reorder by dragging, choose Board order.';
      menu.append(note);
    }
    slot.show(menu, rect, {
      items: '[role=menuitemradio]',
      onEscape: () => closeMenu({ focusBoard: true }),
      onOutside: () => closeMenu(),
    });
    menu.querySelector('[aria-checked=true]')?.focus();
  }

  /** A drop inside a column sorted another way than board order: say why nothing moved. */
  function refuseReorder(stageId) {
    board.toast(`${name(stageId)} is sorted by “${labels.get(sortOf(stageId)) || sortOf(stageId)}”, so its cards keep that order. To reorder them, sort it by Board order (⇅).`);
  }

  // For the browser tests: what a column's header is drawn from.
  addToTestHook('columnFigures', (stageId) => {
    const col = (board.columns || []).find((c) => c.id === Number(stageId));
    return col ? { conversion: col.conversion, medianDays: col.medianDays, medianAgeDays: col.medianAgeDays, overdue: col.overdue, sort: col.sort, count: col.count } : null;
  });
  addToTestHook('cardSortRect', (stageId) => board.view.cardSortRectPage(Number(stageId)));
  addToTestHook('overdueRect', (stageId) => board.view.overdueRectPage(Number(stageId)));
  addToTestHook('cardSorts', () => Object.fromEntries((board.state ? board.state.stageOrder : []).map((id) => [id, sortOf(id)])));

  return {
    openMenu,
    refuseReorder,
    sortOf,
    asOf: () => closeMenu(),
    filters: () => closeMenu(),
  };
}
