// A meeting's recap (what ``POST .../meetings/<id>/end/`` answers): shown in the
// meeting view's dialog, and drawn on a 2D canvas for "Download PNG" (drawn from
// the figures, never a screenshot). ``recapFigures`` is pure; the rest is DOM.

import { money, percent, count } from '../core/format.js';
import { saveBlob } from '../ui/download.js';

const ROW_MOVES = 14; // moves listed in the dialog and the picture; the Markdown has them all

function signed(n, suffix = '') {
  if (n == null || !Number.isFinite(n)) return '';
  if (n === 0) return `±0${suffix}`;
  return `${n > 0 ? '+' : '−'}${Math.abs(n)}${suffix}`;
}

/** The change of a rate in percentage points, one decimal: 0.25 -> 0.5 is 25.0. */
function points(before, after) {
  if (before == null || after == null) return null;
  return Math.round((after - before) * 1000) / 10;
}

function clock(at) {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(11, 16);
}

function day(at) {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 10);
}

/** Everything the recap shows, as text: the same for the dialog and the PNG. */
export function recapFigures(recap) {
  const currency = recap.board ? recap.board.currency : undefined; // recaps kept before it: USD
  const stages = (recap.stages || []).map((s) => {
    const b = s.before || {};
    const a = s.after || {};
    const conv = (r) => (r == null ? '–' : percent(r) || '0%');
    const pts = points(b.conversion_to_next, a.conversion_to_next);
    return {
      name: s.name,
      before: count(b.count),
      after: count(a.count),
      change: signed((a.count || 0) - (b.count || 0)),
      value: `${money(b.value, currency)} → ${money(a.value, currency)}`,
      conversion: s.kind === 'open' ? `${conv(b.conversion_to_next)} → ${conv(a.conversion_to_next)}` : '',
      conversionChange: s.kind === 'open' ? signed(pts, ' pts') : '',
    };
  });
  const overall = recap.overall_conversion || {};
  const overallPts = points(overall.before, overall.after);
  const moves = (recap.moves || []).map((m) => ({
    at: clock(m.at),
    lead: m.lead_name || `Lead ${m.lead}`,
    from: m.from_stage_name || '',
    to: m.to_stage_name || '',
    by: m.actor || 'System',
  }));
  const total = recap.moves_total || 0;
  return {
    title: `Meeting recap: ${recap.board ? recap.board.name : ''}`,
    subtitle: [
      `${day(recap.started_at)} ${clock(recap.started_at)}–${clock(recap.ended_at)} UTC`,
      `${recap.minutes} min`,
      recap.started_by ? `started by ${recap.started_by}` : '',
    ]
      .filter(Boolean)
      .join(' · '),
    summary: `${count(total)} ${total === 1 ? 'move' : 'moves'} made${recap.created ? `, ${count(recap.created)} ${recap.created === 1 ? 'lead' : 'leads'} added` : ''}`,
    overall: `Overall conversion ${overall.before == null ? '–' : percent(overall.before) || '0%'} → ${overall.after == null ? '–' : percent(overall.after) || '0%'}${overallPts == null ? '' : ` (${signed(overallPts, ' pts')})`}`,
    stages,
    people: (recap.people || []).map((p) => `${p.name}: ${p.moves} ${p.moves === 1 ? 'move' : 'moves'}`),
    moves: moves.slice(0, ROW_MOVES),
    moreMoves: Math.max(0, total - Math.min(moves.length, ROW_MOVES)),
  };
}

/** "meeting-recap-2026-11-22.png" */
export function recapFileName(recap, ext) {
  return `meeting-recap-${day(recap.started_at) || 'board'}.${ext}`;
}

// The dialog.

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'className') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

/** Fill ``root`` with the recap (headings, a stage table, who moved what, the moves). */
export function renderRecap(root, recap) {
  const f = recapFigures(recap);
  const table = el('table', { className: 'recap-stages' });
  table.append(
    el('thead', {}, el('tr', {}, ...['Stage', 'Leads before', 'Leads after', 'Change', 'Value', 'Conversion', 'Change'].map((h) => el('th', { scope: 'col' }, h)))),
  );
  const body = el('tbody');
  for (const s of f.stages) {
    body.append(el('tr', {}, el('th', { scope: 'row' }, s.name), el('td', {}, s.before), el('td', {}, s.after), el('td', {}, s.change), el('td', {}, s.value), el('td', {}, s.conversion), el('td', {}, s.conversionChange)));
  }
  table.append(body);
  const moves = el('ol', { className: 'recap-moves' });
  for (const m of f.moves) moves.append(el('li', {}, `${m.at} ${m.lead}: ${m.from} → ${m.to} (${m.by})`));
  if (f.moreMoves) moves.append(el('li', { className: 'recap-more' }, `and ${count(f.moreMoves)} more (in the Markdown)`));
  root.replaceChildren(
    el('p', { className: 'recap-subtitle' }, f.subtitle),
    el('p', { className: 'recap-summary' }, `${f.summary}. ${f.overall}.`),
    table,
    el('h3', {}, 'Who moved what'),
    f.people.length ? el('ul', { className: 'recap-people' }, ...f.people.map((p) => el('li', {}, p))) : el('p', {}, 'No moves were made during the meeting.'),
    ...(f.moves.length ? [el('h3', {}, 'Moves'), moves] : []),
  );
}

// The picture.

const FONT = '"Inter", "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif';
const INK = '#0f172a';
const MUTED = '#475569';
const LINE = '#cbd5e1';

/** The recap drawn on a canvas ``width`` CSS pixels wide (height as needed), white. */
export function recapCanvas(recap, { width = 1400, pixelRatio = 2, document: doc = document } = {}) {
  const f = recapFigures(recap);
  const pad = 48;
  const rowH = 40;
  const height = pad + 56 + 34 + 44 + rowH * (f.stages.length + 1) + 40 + 36 + Math.max(1, f.people.length) * 30 + (f.moves.length ? 60 + 30 * (f.moves.length + (f.moreMoves ? 1 : 0)) : 0) + pad;
  const canvas = doc.createElement('canvas');
  canvas.width = Math.round(width * pixelRatio);
  canvas.height = Math.round(height * pixelRatio);
  const g = canvas.getContext('2d');
  g.scale(pixelRatio, pixelRatio);
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  g.textBaseline = 'alphabetic';
  const text = (t, x, y, { size = 18, weight = 400, color = INK, align = 'left', max = Infinity } = {}) => {
    g.font = `${weight} ${size}px ${FONT}`;
    g.fillStyle = color;
    g.textAlign = align;
    let s = String(t);
    if (g.measureText(s).width > max) {
      while (s.length > 1 && g.measureText(`${s}…`).width > max) s = s.slice(0, -1);
      s = `${s.trimEnd()}…`;
    }
    g.fillText(s, x, y);
  };
  let y = pad + 34;
  text(f.title, pad, y, { size: 34, weight: 700, max: width - 2 * pad });
  y += 34;
  text(f.subtitle, pad, y, { size: 18, color: MUTED });
  y += 40;
  text(`${f.summary}. ${f.overall}.`, pad, y, { size: 22, weight: 600, max: width - 2 * pad });
  y += 44;
  // The stage table: name | before | after | change | value | conversion | change.
  const cols = [
    [pad, 'Stage', 'left', (s) => s.name],
    [pad + 360, 'Before', 'right', (s) => s.before],
    [pad + 480, 'After', 'right', (s) => s.after],
    [pad + 590, 'Change', 'right', (s) => s.change],
    [pad + 880, 'Value', 'right', (s) => s.value],
    [pad + 1120, 'Conversion', 'right', (s) => s.conversion],
    [width - pad, 'Change', 'right', (s) => s.conversionChange],
  ];
  for (const [x, head, align] of cols) text(head, x, y, { size: 16, weight: 700, color: MUTED, align });
  g.fillStyle = LINE;
  g.fillRect(pad, y + 12, width - 2 * pad, 2);
  for (const s of f.stages) {
    y += rowH;
    for (const [x, , align, value] of cols) text(value(s), x, y, { size: 20, weight: x === pad ? 600 : 400, align, max: x === pad ? 300 : 240 });
  }
  y += 56;
  text('Who moved what', pad, y, { size: 24, weight: 700 });
  for (const p of f.people.length ? f.people : ['No moves were made during the meeting.']) {
    y += 30;
    text(p, pad, y, { size: 19, max: width - 2 * pad });
  }
  if (f.moves.length) {
    y += 56;
    text('Moves', pad, y, { size: 24, weight: 700 });
    for (const m of f.moves) {
      y += 30;
      text(m.at, pad, y, { size: 18, color: MUTED });
      text(`${m.lead}: ${m.from} → ${m.to}`, pad + 80, y, { size: 19, max: width - 2 * pad - 80 - 260 });
      text(m.by, width - pad, y, { size: 18, color: MUTED, align: 'right', max: 240 });
    }
    if (f.moreMoves) {
      y += 30;
      text(`and ${count(f.moreMoves)} more (in the Markdown)`, pad + 80, y, { size: 18, color: MUTED });
    }
  }
  return canvas;
}

export function downloadRecapPng(recap) {
  return new Promise((resolve, reject) => {
    recapCanvas(recap).toBlob((blob) => {
      if (!blob) {
        reject(new Error('The browser could not make the picture.'));
        return;
      }
      saveBlob(blob, recapFileName(recap, 'png'));
      resolve(blob);
    }, 'image/png');
  });
}
