// The board's mode, always in view: the pill in the top bar reads "Live" only
// on the live board with its live link; the past reads "As of 1 Nov 2026"; a
// replay "Replaying 3 Nov", moving with it. Pure.

import { dateLabel } from './format.js';
import { momentLabel } from './replay.js';

/**
 * {mode, text, title} for the pill in the past or a replay; null on the live
 * board, where the pill says the live link's status (ui/toolbar.js setStatus).
 * ``asOf``: the moment shown (ISO) or null (live);
 * ``replay``: the time bar's replay phase (idle, loading, playing, paused, ended).
 * ``mode`` is the pill's ``data-status``: past or replay.
 */
export function modeOf({ asOf = null, replay = 'idle' } = {}) {
  if (asOf != null && (replay === 'playing' || replay === 'paused')) {
    const day = dateLabel(asOf, { year: false });
    const paused = replay === 'paused';
    return {
      mode: 'replay',
      text: paused ? `Replay paused ${day}` : `Replaying ${day}`,
      title: `${paused ? 'Replay paused at' : 'Replaying the board’s past moves:'} ${momentLabel(asOf)} (read-only). Stop or go back to live in the time bar.`,
    };
  }
  if (asOf != null) {
    return {
      mode: 'past',
      text: `As of ${momentLabel(asOf)}`,
      title: `The board as it stood on ${momentLabel(asOf)} (read-only). "Back to live" in the time bar returns to now.`,
    };
  }
  return null;
}
