// What the canvas draws, derived from the state plus this browser's moves in
// flight (shown at once, before the server has answered). Pure.

/**
 * pending: Map lead id -> {card, from, to, index}: a move sent and not yet
 * seen in the state. folded: Set of stage ids. funnel: the /funnel/ answer or null.
 */
export function buildColumns(state, { pending = new Map(), folded = new Set(), funnel = null } = {}) {
  const ids = {};
  const figures = {};
  const chipCounts = {};
  for (const id of state.stageOrder) {
    ids[id] = state.stages[id].ids.slice();
    figures[id] = { count: state.stages[id].count, value: state.stages[id].value };
  }
  const bump = (stageId, campaignId, n, value) => {
    if (figures[stageId]) {
      figures[stageId].count = Math.max(0, figures[stageId].count + n);
      figures[stageId].value = Math.max(0, figures[stageId].value + value);
    }
    if (campaignId != null) {
      const key = `${campaignId}:${stageId}`;
      chipCounts[key] = (chipCounts[key] || 0) + n;
    }
  };
  for (const [leadId, p] of pending) {
    const known = state.leads[leadId];
    const at = known ? known.stage : null;
    if (at != null && ids[at]) {
      const i = ids[at].indexOf(leadId);
      if (i >= 0) ids[at].splice(i, 1);
    }
    if (!ids[p.to]) continue;
    ids[p.to].splice(Math.min(Math.max(0, p.index), ids[p.to].length), 0, leadId);
    // Figures move only while the state has the card where it was.
    if (at != null && at !== p.to) {
      bump(at, p.card.campaign, -1, -p.card.value);
      bump(p.to, p.card.campaign, 1, p.card.value);
    }
  }
  const funnelById = {};
  for (const s of (funnel && funnel.stages) || []) funnelById[s.id] = s;
  return state.stageOrder.map((id, index) => {
    const stage = state.stages[id];
    const next = state.stages[state.stageOrder[index + 1]];
    const f = funnelById[id];
    const chips = [];
    for (const campaignId of state.campaignOrder) {
      const campaign = state.campaigns[campaignId];
      const fig = campaign && campaign.stages && campaign.stages[id];
      const n = (fig ? fig.count : 0) + (chipCounts[`${campaignId}:${id}`] || 0);
      if (n > 0) chips.push({ id: campaignId, name: campaign.name, color: campaign.color, count: n });
    }
    chips.sort((a, b) => b.count - a.count || String(a.name).localeCompare(String(b.name)));
    return {
      id,
      name: stage.name,
      kind: stage.kind,
      team: stage.team,
      color: stage.color,
      sla_days: stage.sla_days,
      folded: folded.has(id),
      count: figures[id].count,
      value: figures[id].value,
      hasMore: stage.next != null,
      ids: ids[id],
      conversion: f && stage.kind === 'open' && next ? f.conversion_to_next ?? null : null,
      medianDays: f ? f.median_days ?? null : null,
      nextName: next ? next.name : null,
      chips,
    };
  });
}

/** The card to draw for a lead: in flight, it is already in its new stage. */
export function cardFor(state, pending, leadId) {
  const p = pending.get(leadId);
  if (p) return { ...p.card, stage: p.to };
  return state.leads[leadId] || null;
}

/** Won and Lost start folded; anything the user unfolded or folded is kept. */
export function defaultFolded(state) {
  return new Set(state.stageOrder.filter((id) => state.stages[id].kind !== 'open'));
}
