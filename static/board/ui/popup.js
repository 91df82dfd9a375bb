/**
 * The board's pop-ups (a column's menu, its card sort, a campaign chip's menu and a
 * column's campaign list) behave alike, by this one rule: placed under their anchor
 * and inside the window (above the anchor when they would fall off the bottom);
 * the arrow keys, Home and End walk their items; Escape, Tab (when asked) and a
 * press outside close them.
 */

/**
 * Show ``pop`` by ``anchor`` (page CSS pixels: ``{x, y, height}``, the anchor's box).
 * ``items`` selects what the arrows walk. Returns ``release()``: the caller's close
 * calls it (it stops listening for presses outside).
 */
export function popUp(pop, anchor, { items, onEscape, onOutside, onTab = null, size = { width: 220, height: 160 } }) {
  pop.addEventListener('keydown', (e) => {
    const all = [...pop.querySelectorAll(items)];
    const at = all.indexOf(document.activeElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onEscape();
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && all.length) {
      e.preventDefault();
      all[(at + (e.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length].focus();
    } else if ((e.key === 'Home' || e.key === 'End') && all.length) {
      e.preventDefault();
      all[e.key === 'Home' ? 0 : all.length - 1].focus();
    } else if (e.key === 'Tab' && onTab) {
      onTab();
    }
  });
  document.body.append(pop);
  const { x, y } = popPlace(anchor, { width: pop.offsetWidth || size.width, height: pop.offsetHeight || size.height }, { width: window.innerWidth, height: window.innerHeight });
  pop.style.left = `${Math.round(x)}px`;
  pop.style.top = `${Math.round(y)}px`;
  const outside = (e) => {
    if (!pop.contains(e.target)) onOutside();
  };
  // Not the press that opened it: listen from the next task on.
  const timer = setTimeout(() => document.addEventListener('pointerdown', outside, true), 0);
  return () => {
    clearTimeout(timer);
    document.removeEventListener('pointerdown', outside, true);
  };
}

/** Where a pop-up of ``size`` goes by ``anchor`` in a window of ``view``: 4 px under
 * the anchor (above it when there is no room below), 8 px inside the window's edges. */
export function popPlace(anchor, size, view) {
  const x = Math.max(8, Math.min(anchor.x, view.width - size.width - 8));
  const below = anchor.y + (anchor.height || 0) + 4;
  const y = below + size.height > view.height - 8 ? Math.max(8, anchor.y - size.height - 4) : below;
  return { x, y };
}

/**
 * A module's one pop-up at a time: ``show`` closes the one open and pops the new one
 * up (``popUp``); ``close`` takes it away, handing the focus back to the board when
 * asked (``{ focusBoard: true }``: Escape, a choice made).
 */
export function popSlot() {
  let open = null;
  let release = () => {};
  return {
    get open() {
      return open;
    },
    show(pop, anchor, options) {
      this.close();
      open = pop;
      release = popUp(pop, anchor, options);
    },
    close({ focusBoard = false } = {}) {
      if (!open) return;
      open.remove();
      open = null;
      release();
      if (focusBoard) document.getElementById('board')?.focus({ preventScroll: true });
    },
  };
}
