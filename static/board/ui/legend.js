// The legend of the board's marks, in the "?" sheet (beside the keyboard
// shortcuts): each mark drawn as the canvas draws it (its theme colour) with
// what it means (core/marks.js, the words the marks' tooltips use too).

import { LEGEND } from '../core/marks.js';
import { COLORS, TEAM_COLORS } from '../canvas/theme.js';
import { COST_FLAG } from '../canvas/layout.js';

const colour = (name) => COLORS[name] || TEAM_COLORS[name] || name;

function sample(entry) {
  const span = document.createElement('span');
  span.setAttribute('aria-hidden', 'true');
  const c = colour(entry.swatch);
  const text = entry.flag === 'cost' ? COST_FLAG : entry.text;
  if (entry.kind === 'ring') {
    span.className = 'legend-ring';
    span.style.borderColor = c;
  } else if (entry.kind === 'edge' || entry.kind === 'strip') {
    span.className = 'legend-swatch';
    span.style.background = c;
  } else if (entry.kind === 'mark') {
    span.className = 'legend-ring';
    Object.assign(span.style, { background: c, border: 'none', color: entry.swatch === 'sales' ? '#fff' : COLORS.scoreLowInk, display: 'inline-grid', placeItems: 'center', width: '20px', height: '20px', fontSize: '12px' });
    span.textContent = text;
  } else if (entry.kind === 'pill') {
    Object.assign(span.style, { background: entry.swatch === 'costMissing' ? COLORS.costMissingSoft : entry.swatch === 'wipOver' ? COLORS.wipOverSoft : c, color: entry.swatch === 'costMissing' ? c : entry.swatch === 'wipOver' ? c : COLORS.ink, borderRadius: '999px', padding: '1px 8px', fontSize: '12px' });
    span.textContent = text;
  } else {
    span.style.color = c;
    span.textContent = text;
  }
  return span;
}

/** Fill ``root`` (the sheet's Marks section) with every mark and its meaning. */
export function fillLegend(root) {
  if (!root) return;
  root.replaceChildren();
  let list = null;
  for (const entry of LEGEND) {
    if (entry.section) {
      const h = document.createElement('h3');
      h.className = 'legend-section';
      h.textContent = entry.section;
      list = document.createElement('dl');
      list.className = 'legend-list';
      root.append(h, list);
      continue;
    }
    const dt = document.createElement('dt');
    dt.append(sample(entry));
    const dd = document.createElement('dd');
    dd.textContent = entry.words;
    list.append(dt, dd);
  }
}
