// A card in the hand, the pure part: while this browser holds (drags) a card,
// did someone else move it to another stage? Then the held card says so at
// once ("Dana moved this to SQL") and the drop asks before it overrides
// ("Move anyway" / "Leave it in SQL"): never a silent override, never a
// silent refusal. What is known comes from the reducer's ``touched`` (the last
// event that moved each lead, with its actor and seq). Pure.

/** The stored events that move a lead from one stage to another. */
export const MOVE_EVENTS = new Set(['lead.moved', 'leads.moved', 'campaign.moved']);

/** The hold of ``leadId`` as the board stands now: {lead, stage, seq}, or null
 * (no state, or the card is not known). */
export function holdOf(state, leadId) {
  const card = state && state.leads ? state.leads[leadId] : null;
  if (!card) return null;
  return { lead: Number(leadId), stage: card.stage, seq: state.seq };
}

/**
 * Did someone move the held lead to another stage since the hold began?
 * {actor, from, to, at, seq} of the last such move, or null. ``ownSeqs``: this
 * browser's own writes (never a conflict with itself). A move that took the card
 * away and back leaves it where it was held: no conflict.
 */
export function movedWhileHeld(hold, state, ownSeqs = new Set()) {
  if (!hold || !state || !state.touched) return null;
  const touched = state.touched[hold.lead];
  if (!touched || !MOVE_EVENTS.has(touched.type)) return null;
  if (touched.seq == null || touched.seq <= hold.seq || ownSeqs.has(touched.seq)) return null;
  const to = stageNow(state, hold.lead, touched);
  if (to == null || to === hold.stage) return null;
  return { actor: touched.actor || null, from: touched.from ?? hold.stage, to, at: touched.at, seq: touched.seq };
}

/** Where the lead is now: its card's stage, else where the last move took it. */
function stageNow(state, leadId, touched) {
  const card = state.leads[leadId];
  return card ? card.stage : (touched.to ?? null);
}

/** "Dana Kim", "You (in another window)" (me, elsewhere), "Someone" (no actor). */
export function actorName(actor, me) {
  if (!actor) return 'Someone';
  if (me && actor.id != null && actor.id === me.id) return 'You (in another window)';
  return actor.name || actor.username || 'Someone';
}

/** The held card's note: "Dana Kim moved this to SQL". */
export function heldNote(change, stageName, me) {
  return `${actorName(change.actor, me)} moved this to ${stageName(change.to)}`;
}

/** Must the drop of the held lead into ``toStage`` ask first? Only when it would
 * take the card away from where the other person put it. */
export function mustAsk(change, toStage) {
  return change != null && toStage !== change.to;
}

/**
 * The question a drop asks before it overrides: {text, confirmLabel,
 * cancelLabel}. "Dana Kim moved this to SQL while you held it. Move it to
 * Opportunity anyway?" [Move anyway] [Leave it in SQL].
 */
export function overrideQuestion(change, toStage, stageName, me) {
  const who = actorName(change.actor, me);
  const there = stageName(change.to);
  return {
    text: `${who} moved this to ${there} while you held it. Move it to ${stageName(toStage)} anyway?`,
    confirmLabel: 'Move anyway',
    cancelLabel: `Leave it in ${there}`,
  };
}
