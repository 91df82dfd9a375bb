// No silent override: a card in this browser's hand that someone else moves says
// so on the card at once, and its drop asks before it takes the card away from
// where they put it (core/held.js has the rules and the words). A feature: it
// hears of applied events through ``events()``.

import { holdOf, movedWhileHeld, heldNote, mustAsk, overrideQuestion } from '../core/held.js';
import { stageName } from '../core/model.js';
import { addToTestHook } from './hook.js';

/** parts: {store, view (canvas/view.js), me, confirm (ui/dialog.js), announce} */
export function createHold({ store, view, me, confirm, announce }) {
  let hold = null; // core/held.js holdOf(), from the drag's start to its drop
  let noted = null; // the move the held card says
  const name = (id) => stageName(store.state, id);
  const change = () => (hold ? movedWhileHeld(hold, store.state, store.ownSeqs) : null);

  /** The drag began (or ended: ``leadId`` null). */
  function held(leadId) {
    if (leadId == null) return; // the drop (or not) reads the hold, then it ends
    hold = holdOf(store.state, leadId);
    noted = null;
  }

  /** Events were applied: say a move of the held card on it, at once. */
  function events() {
    if (!hold || view.heldCard !== hold.lead) return;
    const moved = change();
    if (!moved || (noted && noted.seq === moved.seq)) return;
    noted = moved;
    const text = heldNote(moved, name, me);
    view.holdNote(text);
    announce(text);
  }

  /**
   * The held card dropped into ``toStage``. null: nothing to ask (write the move
   * now); else a Promise of true (Move anyway) or false (Leave it: nothing
   * written). A move by someone else while the dialog is open asks again.
   */
  function drop(leadId, toStage) {
    const mine = hold && hold.lead === leadId ? hold : null;
    hold = null;
    noted = null;
    if (!mine) return null;
    const first = movedWhileHeld(mine, store.state, store.ownSeqs);
    if (!mustAsk(first, toStage)) return null;
    return (async () => {
      let moved = first;
      for (;;) {
        const q = overrideQuestion(moved, toStage, name, me);
        const ok = await confirm(q.text, { confirmLabel: q.confirmLabel, cancelLabel: q.cancelLabel });
        if (!ok) return false;
        const now = movedWhileHeld(mine, store.state, store.ownSeqs);
        if (!now || now.seq === moved.seq) return true;
        if (!mustAsk(now, toStage)) return true; // they put it where I drop it
        moved = now; // moved again while asking: ask with what is true now
      }
    })();
  }

  addToTestHook('heldNote', () => view.heldNoteText());

  return { held, events, drop };
}
