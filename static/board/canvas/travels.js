// Which cards travel on the canvas after events were applied, and with which
// label ("moved by Dana", "added by Sam", "undone"). Pure.

/** Lead ids the events touch (to snapshot their cards before the change). */
export function leadIdsOf(events) {
  const ids = new Set();
  for (const e of events) {
    if (e.lead && typeof e.lead === 'object') ids.add(e.lead.id);
    for (const m of e.moves || []) ids.add(m.lead);
  }
  return ids;
}

function firstName(name) {
  return String(name || 'someone').split(/\s+/)[0];
}

/**
 * The travels of the reducer's ``effects``: [{lead, to, label}].
 * ``before``: the lead ids drawn before (a batch labels its first drawn card);
 * ``ownSeqs``: seqs of this browser's own moves (already shown when dropped);
 * ``replay``: made-up events of past moves (``labels``: with "moved by" or not).
 */
export function travelsOf(effects, { me, before, ownSeqs, replay = false, labels = true }) {
  const travels = [];
  for (const effect of effects) {
    const event = effect.event || {};
    const actor = event.actor;
    const byMe = actor && actor.id === me.id;
    if (!replay && ownSeqs.has(event.seq)) continue; // already shown when it was dropped here
    let label = byMe ? (event.source === 'undo' ? 'undone' : null) : `moved by ${firstName(actor && actor.name)}`;
    if (replay && !labels) label = null;
    if (effect.kind === 'moved' || effect.kind === 'reordered') {
      travels.push({ lead: effect.lead, to: effect.to, label });
    } else if (effect.kind === 'batch' || effect.kind === 'undo-batch' || effect.kind === 'bulk-moved' || effect.kind === 'stage-deleted') {
      let labelled = false;
      for (const m of event.moves || []) {
        const first = !labelled && before.has(m.lead);
        if (first) labelled = true;
        travels.push({ lead: m.lead, to: m.to_stage, label: first ? label : null });
      }
    } else if (effect.kind === 'created' && effect.shown) {
      travels.push({ lead: effect.lead, to: effect.to, label: byMe || (replay && !labels) ? null : `added by ${firstName(actor && actor.name)}` });
    }
  }
  return travels;
}
