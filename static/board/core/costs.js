// What a campaign costs per lead that reached SQL (the handoff stage) and Won, in
// the board's currency, from the /funnel/ figures (``campaigns``: cost_per_sql,
// cost_per_won, null while the cost is missing or no lead reached the stage).
// One formatter (format.js moneyFull) writes every such figure: the side panel's
// table, a column's campaign list, a chip's tooltip, the meeting view. Pure.

import { moneyFull, count as countText } from './format.js';

/** A cost per lead as the board writes it: "$1,234.50", "—" while unknown (never 0). */
export function costText(value, currency) {
  return value == null || !Number.isFinite(Number(value)) ? '—' : moneyFull(value, currency);
}

/** campaign id -> its /funnel/ figures ({cost_per_sql, cost_per_won, cost_missing, leads}). */
export function costsById(funnel) {
  const out = new Map();
  for (const c of (funnel && funnel.campaigns) || []) out.set(c.id, c);
  return out;
}

/** The side panel's table: every campaign of the figures (archived ones named so),
 * most leads first. */
export function costRows(funnel, currency) {
  const rows = ((funnel && funnel.campaigns) || []).filter((c) => c.leads > 0 || !c.archived);
  return rows
    .map((c) => ({
      id: c.id,
      name: c.name + (c.archived ? ' (archived)' : ''),
      leads: c.leads,
      leadsText: countText(c.leads),
      perSql: costText(c.cost_per_sql, currency),
      perWon: costText(c.cost_per_won, currency),
      costMissing: !!c.cost_missing,
    }))
    .sort((a, b) => b.leads - a.leads || a.name.localeCompare(b.name));
}

/** A column's campaign list ("+N" opens it): every chip of the column, as the
 * chips order them (most leads in the stage first), with its cost per SQL and per Won. */
export function columnCampaigns(col, funnel, currency) {
  const costs = costsById(funnel);
  return (col ? col.chips : []).map((chip) => {
    const c = costs.get(chip.id);
    return {
      id: chip.id,
      name: chip.name,
      color: chip.color,
      count: chip.count,
      countText: countText(chip.count),
      costMissing: !!chip.costMissing,
      perSql: chip.costMissing ? '—' : costText(c ? c.cost_per_sql : null, currency),
      perWon: chip.costMissing ? '—' : costText(c ? c.cost_per_won : null, currency),
    };
  });
}

/** A chip's tooltip lines: the full name (and channel), its leads in the stage, the
 * cost per SQL and per Won, the missing cost when it is. */
export function chipTipLines(campaign, { stageName = null, count = null, figures = null, currency } = {}) {
  if (!campaign) return [];
  const head = [campaign.name];
  if (campaign.channel) head.push(campaign.channel);
  const lines = [head.join(' · ')];
  if (count != null && stageName) lines.push(`${countText(count)} ${count === 1 ? 'lead' : 'leads'} in ${stageName}`);
  const missing = campaign.cost == null;
  if (missing) {
    lines.push('Cost missing: cost per SQL and per Won show “—” until it is entered');
  } else if (figures) {
    lines.push(`Cost per SQL ${costText(figures.cost_per_sql, currency)} · per Won ${costText(figures.cost_per_won, currency)}`);
  }
  return lines;
}
