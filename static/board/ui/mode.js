// The mode pill (#ws-status in the top bar): the live link's status on the live
// board (the toolbar's words), the moment shown in the past, the replay's day
// while it plays (core/mode.js). A feature: it hears ``asOf`` (every replay
// frame moves it) and the time bar's ``replayPhase``; the live link tells it its
// status through ``setStatus``, in place of the toolbar's.

import { modeOf } from '../core/mode.js';
import { addToTestHook } from './hook.js';

/** parts: {el (the pill), toolbar (ui/toolbar.js), asOf() (the moment shown, ISO or null)} */
export function createModePill({ el, toolbar, asOf }) {
  let link = el ? el.dataset.status || 'reconnecting' : 'reconnecting';
  let replay = 'idle';

  function show() {
    const mode = modeOf({ asOf: asOf(), replay });
    if (!mode) {
      toolbar.setStatus(link);
      return;
    }
    if (!el) return;
    el.dataset.status = mode.mode;
    const text = el.querySelector('[data-text]');
    if (text.textContent !== mode.text) text.textContent = mode.text;
    el.title = mode.title;
  }

  addToTestHook('modePill', () => (el ? { mode: el.dataset.status, text: el.textContent.trim() } : null));

  return {
    /** The live link's status (net/link.js): shown while the board is live. */
    setStatus(status) {
      link = status;
      show();
    },
    asOf: show,
    replayPhase(phase) {
      if (phase === replay) return;
      replay = phase;
      show();
    },
  };
}
