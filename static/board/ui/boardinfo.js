// The board's name, currency and archived state on the page. ``board.updated``
// (reducer.js) changes ``state.board``; this feature makes the page follow: the
// top bar's name, the window's title, the board's label and the read-only note of
// an archived board. The canvas writes money in ``state.board.currency`` itself.

/** The window's title for ``name``, keeping what follows the board's name
 * ("Q4 Pipeline · Funnelboard" -> "EMEA · Funnelboard"). */
export function retitle(title, oldName, name) {
  return title.startsWith(oldName) ? name + title.slice(oldName.length) : `${name} · Funnelboard`;
}

/** The note over an archived board, or null while it is not archived. ``mayEdit``:
 * the page was opened with edit rights (a board restored meanwhile needs a reload). */
export function archivedNote(info, me, mayEdit) {
  if (info.archived) {
    return me.role === 'owner'
      ? 'This board is archived: it is read-only. Restore it in its settings to change it.'
      : 'This board is archived: it is read-only.';
  }
  if (!mayEdit && (me.role === 'owner' || me.role === 'editor')) {
    return 'This board was restored. Reload the page to change it.';
  }
  return null;
}

export function createBoardInfo(board) {
  const nameEl = document.getElementById('board-name');
  const boardEl = document.getElementById('board');
  const noteEl = document.getElementById('board-archived');
  const viewOnlyEl = document.getElementById('board-view-only');
  let shown = board.config.board.name;

  function show(info) {
    if (!info) return;
    if (info.name != null && info.name !== shown) {
      if (nameEl) nameEl.textContent = info.name;
      document.title = retitle(document.title, shown, info.name);
      if (boardEl) boardEl.setAttribute('aria-label', `${info.name}: funnel board`);
      shown = info.name;
    }
    const note = archivedNote(info, board.me, board.canEdit);
    if (noteEl) {
      noteEl.textContent = note || '';
      noteEl.hidden = note == null;
    }
    // A viewer's "view only" says less than the archived note: one note is enough.
    if (viewOnlyEl) viewOnlyEl.hidden = board.canEdit || note != null;
  }

  return {
    loaded(state) {
      show(state.board);
    },
    events(events, effects) {
      const changed = effects.filter((e) => e.kind === 'board');
      if (changed.length) show(changed[changed.length - 1].board);
    },
  };
}
