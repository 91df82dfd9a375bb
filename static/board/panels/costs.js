// The side panel's "Cost per SQL and per Won": every campaign of the board's
// figures (the same /funnel/ answer as the column headers, so the same filters and
// moment, and no request of its own) with its leads, cost per SQL and cost per Won
// in the board's currency (core/costs.js). Shown on the board and in meeting mode,
// where the panel's type is large (meeting.css): no hover needed to read them.

import { costRows } from '../core/costs.js';
import { addToTestHook } from '../ui/hook.js';

function el(tag, props = {}, text = null) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  if (text != null) node.textContent = text;
  return node;
}

export function createCosts(board, { panel = document.getElementById('panel') } = {}) {
  if (!panel) return {};
  const section = el('section', { id: 'panel-costs', className: 'panel-section costs' });
  section.setAttribute('aria-labelledby', 'costs-title');
  const title = el('h2', { id: 'costs-title', className: 'costs-title' }, 'Cost per SQL and per Won');
  const note = el('p', { className: 'costs-note' });
  const table = el('table', { className: 'costs-table' });
  table.innerHTML = '<thead><tr><th scope="col">Campaign</th><th scope="col">Leads</th><th scope="col">Per SQL</th><th scope="col">Per Won</th></tr></thead><tbody></tbody>';
  section.append(title, note, table);
  const after = document.getElementById('panel-charts');
  if (after && after.parentNode === panel) after.after(section);
  else panel.append(section);
  let rows = [];

  function draw() {
    const state = board.state;
    const currency = state && state.board ? state.board.currency : undefined;
    rows = costRows(board.funnel, currency);
    const body = table.tBodies[0];
    body.replaceChildren(
      ...rows.map((row) => {
        const tr = el('tr');
        tr.dataset.campaign = String(row.id);
        const name = el('th', { scope: 'row', title: row.name }, row.name);
        if (row.costMissing) name.append(' ', el('span', { className: 'costs-missing' }, 'cost missing'));
        tr.append(name, el('td', {}, row.leadsText), el('td', {}, row.perSql), el('td', {}, row.perWon));
        return tr;
      }),
    );
    table.hidden = !rows.length;
    note.hidden = rows.length > 0;
    note.textContent = board.funnel ? 'No campaign has leads here.' : 'Loading the figures…';
    section.dataset.currency = currency || '';
  }

  addToTestHook('costs', () => rows.map(({ id, name, perSql, perWon }) => ({ id, name, perSql, perWon })));
  draw();

  return {
    funnel: draw,
    loaded: draw,
    filters: draw,
    events(events) {
      if (events.some((e) => e.type === 'board.updated' || e.type === 'campaign.updated')) draw();
    },
  };
}
