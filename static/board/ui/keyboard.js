// The keyboard: a cursor over the cards (arrows, Home, End; the screen reader
// hears the card), moving the selected card an open stage on ([ ] or Shift+arrows),
// straight to Won (W) or Lost (L, which asks why), zoom keys, ? for the shortcuts
// sheet (templates/board.html lists every key), and Ctrl+Z anywhere on the page
// that is not a text field.

import { aging } from '../core/format.js';
import { cardFor, closingStages } from '../core/model.js';
import { columnOf } from '../core/store.js';
import { describeCard, navigate, adjacentStage } from './a11y.js';

/** parts: {store, boardEl, statusEl, view, announce, writes (writes.js), notify} */
export function createKeyboard({ store, boardEl, statusEl, view, announce, writes, notify, shortcuts = () => {} }) {
  function select(leadId, reveal) {
    store.selection = leadId;
    view.select(leadId);
    notify('selected', leadId);
    if (leadId == null) {
      statusEl.textContent = '';
      return;
    }
    if (reveal) view.reveal(leadId);
    const { state } = store;
    const card = cardFor(state, store.pending, leadId);
    const column = card && columnOf(store, card.stage);
    if (card && column) {
      const owner = card.owner != null ? state.people[card.owner] : null;
      statusEl.textContent = describeCard(card, {
        stageName: column.name,
        ownerName: owner ? owner.name : '',
        index: column.ids.indexOf(leadId),
        total: column.count,
        aging: aging(card, state.stages[card.stage]),
      });
    }
  }

  /** Move the selected card one stage on (``step`` 1) or back (-1). */
  function shift(step) {
    const { selection } = store;
    if (selection == null) {
      announce('Select a card first with the arrow keys');
      return;
    }
    const card = cardFor(store.state, store.pending, selection);
    if (!card) return;
    const to = adjacentStage(store.state.stageOrder, card.stage, step, closingStages(store.state));
    if (to == null) {
      announce(
        step > 0
          ? `${card.name} is in the last open stage: W moves it to Won, L to Lost`
          : `${card.name} is already in the first stage`,
      );
      return;
    }
    moveTo(selection, to);
  }

  /** Move the selected card straight into the board's first stage of ``kind`` (won, lost). */
  function close(kind) {
    const { selection } = store;
    if (selection == null) {
      announce('Select a card first with the arrow keys');
      return;
    }
    const card = cardFor(store.state, store.pending, selection);
    if (!card) return;
    const to = store.state.stageOrder.find((id) => store.state.stages[id].kind === kind);
    if (to == null || to === card.stage) return;
    moveTo(selection, to);
  }

  function moveTo(lead, to) {
    if (!writes.mayWrite()) return;
    writes.moveLead(lead, to, 0).then(() => {
      if (store.selection === lead) select(lead, true);
    });
    select(lead, true);
  }

  boardEl.addEventListener('keydown', (e) => {
    if (!store.state || e.target !== boardEl) return;
    const { key } = e;
    const sideways = key === 'ArrowLeft' || key === 'ArrowRight';
    if (key === '[' || key === ']' || (e.shiftKey && sideways)) {
      e.preventDefault();
      shift(key === ']' || key === 'ArrowRight' ? 1 : -1);
      return;
    }
    if (['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(key)) {
      e.preventDefault();
      const next = navigate(store.columns, store.selection, key);
      if (next != null) select(next, true);
      return;
    }
    if (!e.ctrlKey && !e.metaKey && !e.altKey && (key === 'w' || key === 'W' || key === 'l' || key === 'L')) {
      e.preventDefault();
      close(key.toLowerCase() === 'w' ? 'won' : 'lost');
      return;
    }
    if (key === 'Escape') {
      select(null);
    } else if (key === 'Enter') {
      // The handoff lane's verdict form or the lead drawer (their own listeners).
    } else if (key === '+' || key === '=') {
      view.zoomIn();
    } else if (key === '-') {
      view.zoomOut();
    } else if (key === '0') {
      view.fit();
    }
  });

  document.addEventListener('keydown', (e) => {
    // "?" anywhere that is not a text field or an open dialog: the shortcuts sheet.
    if (e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey) {
      if (e.target.closest && e.target.closest('input, textarea, select, [contenteditable]')) return;
      if (document.querySelector('dialog[open]')) return;
      e.preventDefault();
      shortcuts();
      return;
    }
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
      if (e.target.closest && e.target.closest('input, textarea, select, [contenteditable]')) return;
      if (document.querySelector('dialog[open]')) return;
      e.preventDefault();
      writes.undoLast();
    }
  });

  return { select };
}
