// What each mark on a card and a column header means, in words: the legend
// (ui/legend.js), the marks' tooltips (canvas/cardnode.js) and what a screen
// reader hears of a card (ui/a11y.js) say the same. Pure.

export const VERDICT_WORDS = {
  accepted: '✓ Accepted by sales: sales took this lead (its latest verdict).',
  rejected: '✗ Rejected by sales: sales turned this lead down (its latest verdict).',
};

/** The aging ring of a card (``aging`` from format.js), in words; null without an SLA. */
export function ringWords(aging) {
  if (!aging || aging.sla == null) return null;
  const days = `${aging.days} ${aging.days === 1 ? 'day' : 'days'} in this stage`;
  if (aging.overdue) return `Past the SLA: ${days}, the stage's SLA is ${aging.sla} days.`;
  return `${days} of the stage's ${aging.sla}-day SLA.`;
}

/**
 * Every mark the board draws, for the legend: ``swatch`` names the theme colour
 * (canvas/theme.js COLORS key) it is drawn in, ``kind`` how to draw its sample.
 */
export const LEGEND = [
  { section: 'Cards' },
  { kind: 'mark', text: '✓', swatch: 'sales', words: 'Accepted by sales (the latest verdict on the lead).' },
  { kind: 'mark', text: '✗', swatch: 'scoreLow', words: 'Rejected by sales (the latest verdict on the lead).' },
  { kind: 'ring', swatch: 'faint', words: 'Aging ring: how much of the stage\u2019s SLA the lead has used (grey ring, filling in the team\u2019s colour). Only in stages with an SLA.' },
  { kind: 'ring', swatch: 'aging', words: 'Red ring, red border and red days: past the stage\u2019s SLA (more whole days in the stage than its SLA). These are the header\u2019s \u201coverdue\u201d.' },
  { kind: 'text', text: '12d', swatch: 'muted', words: 'Days in the stage now (since the lead entered it).' },
  { kind: 'pill', text: '72', swatch: 'scoreHigh', words: 'Score: green 70 and up, amber 40\u201369, grey below 40.' },
  { kind: 'edge', swatch: 'noCampaign', words: 'The left edge is the lead\u2019s campaign colour (grey: no campaign).' },
  { kind: 'pill', text: 'Returned by sales', swatch: 'scoreLow', words: 'Sales rejected it and it is back in a marketing stage.' },
  { section: 'Column headers' },
  { kind: 'text', text: '12 overdue', swatch: 'aging', words: 'Leads past the stage\u2019s SLA now; click it to show only them.' },
  { kind: 'pill', text: '7 / 3', swatch: 'wipOver', words: 'Work in progress against the stage\u2019s WIP limit: amber at the limit, red past it.' },
  { kind: 'text', text: '41% \u2192', swatch: 'body', words: 'Conversion: the share of the leads that reached this stage that reached the next.' },
  { kind: 'strip', swatch: 'marketing', words: 'The strip on top and the tag: the team that owns the stage (marketing violet, sales blue).' },
  { kind: 'pill', text: null, flag: 'cost', swatch: 'costMissing', words: 'On a campaign chip: the campaign\u2019s cost is missing, so cost per SQL and per Won are unknown.' },
  { kind: 'text', text: 'HANDOFF', swatch: 'sales', words: 'The handoff lane: leads waiting for sales to accept (✓) or reject (✗).' },
];
