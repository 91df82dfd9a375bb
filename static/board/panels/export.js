// Export: the board as a PNG (not a screenshot): at the screen's size (1x) or
// twice that (2x), drawn from the Konva canvas as shown; or 3840 x 2160, the
// whole board: every column unfolded with its header figures and the cards
// that fit legibly, "+N more" for the rest (panels/exportdraw.js, laid out by
// canvas/exportlayout.js by the server's rules, as its snapshot is). The side
// panel's charts beside it when asked; stamped with the board's name, its
// filters, the moment it shows and the time of the export (the words are the
// server's too). Saved as ``<board>-<date>.png``.

import { COLORS, FONT_FAMILY, TEAM_LABELS } from '../canvas/theme.js';
import { filtersActive, filterParams } from '../core/filters.js';
import { momentLabel, isoDay } from '../core/replay.js';
import { addToTestHook } from '../ui/hook.js';
import { saveBlob } from '../ui/download.js';
import { RULES, columnFigures } from '../canvas/exportlayout.js';
import { boardImageLayout, drawWholeBoard } from './exportdraw.js';

const WORDS = RULES.words;

export const EXPORT_SIZES = [
  { id: '1x', label: 'Screen (1x)' },
  { id: '2x', label: 'Sharp (2x)' },
  { id: '4k', label: '4K, 3840 × 2160: the whole board' },
];
export const UHD = { width: 3840, height: 2160 };
const BAND = RULES.band; // the stamp's band, CSS pixels (the whole-board image's too)
const CHARTS_W = 380; // the charts' column at 1x and 2x (the panel's width)
const CHARTS_W_4K = 560; // ... and in 4K (CSS pixels at 2x)
const CHART_COUNT = 4;
const SETTINGS_KEY = 'funnelboard.export';

/**
 * Where everything goes in the image, in image pixels, with the CSS size the
 * board is laid out at. ``screen``: the board's size on screen (CSS pixels).
 * 1x / 2x: the screen's board (zoom and pan as shown) at that pixel ratio, the
 * charts' column added on the right; 4K: exactly 3840 x 2160, laid out as a
 * 1920 x 1080 screen at pixel ratio 2, the whole board fitted in.
 */
export function exportLayout(size, screen, withCharts = false) {
  const fourK = size === '4k';
  const scale = fourK ? 2 : size === '2x' ? 2 : 1;
  const chartsCss = withCharts ? (fourK ? CHARTS_W_4K : CHARTS_W) : 0;
  const cssW = fourK ? UHD.width / scale : Math.round(screen.width) + chartsCss;
  const cssH = fourK ? UHD.height / scale : Math.round(screen.height);
  const boardCss = { width: cssW - chartsCss, height: cssH - BAND };
  const band = BAND * scale;
  return {
    width: cssW * scale,
    height: cssH * scale,
    scale,
    band,
    board: { x: 0, y: band, ...boardCss, pixelRatio: scale, whole: fourK },
    charts: withCharts
      ? {
          x: boardCss.width * scale,
          y: band,
          width: chartsCss * scale,
          height: boardCss.height * scale,
          // Each chart's tile, CSS pixels (plotly draws it at ``scale``).
          tile: { width: chartsCss, height: Math.floor(boardCss.height / CHART_COUNT) },
        }
      : null,
  };
}

/** The filters in words: "Campaign: Webinar, Ads · Team: Sales · Score 40–100". */
export function describeFilters(filters, { campaignName = (id) => `#${id}`, personName = (id) => `#${id}` } = {}) {
  if (!filters || !filtersActive(filters)) return WORDS.all;
  const parts = [];
  if (filters.campaign && filters.campaign.length) {
    parts.push(`${filters.campaign.length > 1 ? WORDS.campaigns : WORDS.campaign}: ${filters.campaign.map(campaignName).join(', ')}`);
  }
  if (filters.owner != null) parts.push(`${WORDS.owner}: ${personName(filters.owner)}`);
  if (filters.team) parts.push(`${WORDS.team}: ${TEAM_LABELS[filters.team] || filters.team}`);
  if (filters.score_min != null || filters.score_max != null) {
    parts.push(`${WORDS.score} ${filters.score_min ?? 0}–${filters.score_max ?? 100}`);
  }
  if (filters.q) parts.push(`${WORDS.search}: “${filters.q}”`);
  return parts.join(WORDS.separator);
}

/** "22 Nov 2026, 17:40 UTC" in the viewer's time zone (or ``timeZone``). */
export function exportTime(at, timeZone = undefined) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(at);
}

/** The stamp: {title, detail}: "Q4 Pipeline", "All leads · Live board · Exported …"
 * (``stamp_text`` of funnel/numbers/boardimage.py writes the server's alike). */
export function stampText({ boardName, filtersText, asOf, exportedAt, timeZone }) {
  const moment = asOf ? `${WORDS.asOf} ${momentLabel(asOf)}` : WORDS.live;
  const sep = WORDS.separator;
  return { title: boardName || 'Board', detail: `${filtersText}${sep}${moment}${sep}${WORDS.exported} ${exportTime(exportedAt, timeZone)}` };
}

/** "q4-pipeline-2026-11-22.png": the board's name and the day it shows (the
 * as-of day in the past, else the export's day in the viewer's calendar). */
export function exportFileName(boardName, { asOf = null, exportedAt = new Date() } = {}) {
  const slug = String(boardName || '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'board';
  const pad = (n) => String(n).padStart(2, '0');
  const day = asOf
    ? isoDay(asOf)
    : `${exportedAt.getFullYear()}-${pad(exportedAt.getMonth() + 1)}-${pad(exportedAt.getDate())}`;
  return `${slug}-${day}.png`;
}

/** Cut ``text`` to ``width`` with an ellipsis (``measure`` gives a width). */
function fitText(text, width, measure) {
  if (measure(text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${text.slice(0, mid)}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

function drawStamp(ctx, layout, stamp) {
  const s = layout.scale;
  // The palette in use (the meeting's dark theme too): card ground, ink type.
  ctx.fillStyle = COLORS.card;
  ctx.fillRect(0, 0, layout.width, layout.band);
  ctx.fillStyle = COLORS.columnLine;
  ctx.fillRect(0, layout.band - s, layout.width, s);
  ctx.textBaseline = 'middle';
  const y = layout.band / 2;
  const left = 16 * s;
  ctx.font = `700 ${16 * s}px ${FONT_FAMILY}`;
  ctx.fillStyle = COLORS.ink;
  const title = fitText(stamp.title, layout.width * 0.4, (t) => ctx.measureText(t).width);
  ctx.fillText(title, left, y);
  const after = left + ctx.measureText(title).width + 14 * s;
  ctx.font = `500 ${13 * s}px ${FONT_FAMILY}`;
  ctx.fillStyle = COLORS.body;
  ctx.fillText(fitText(stamp.detail, layout.width - after - left, (t) => ctx.measureText(t).width), after, y);
}

function toPng(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the PNG'))), 'image/png');
  });
}

const TEMPLATE = `
  <form method="dialog" class="export-form">
    <h2 class="export-title" id="export-title">Export the board as a PNG</h2>
    <fieldset class="export-sizes">
      <legend>Size</legend>
      ${EXPORT_SIZES.map((s) => `<label><input type="radio" name="size" value="${s.id}"> ${s.label} <span class="export-dim" data-dim="${s.id}"></span></label>`).join('')}
    </fieldset>
    <label class="export-check"><input type="checkbox" name="charts"> Include the charts beside the board</label>
    <p class="export-hint">Stamped with the board's name, filters, date and the time of the export.</p>
    <p class="export-status" data-status role="status"></p>
    <p class="export-data" data-csv>Data as CSV:
      <a data-csv-leads download>leads (current filters)</a> ·
      <a data-csv-transitions download>moves of the last 90 days</a></p>
    <div class="confirm-actions">
      <button type="button" class="button quiet" data-cancel>Cancel</button>
      <button type="submit" class="button primary" data-go>Export PNG</button>
    </div>
  </form>`;

/**
 * The Export button(s) and dialog. ``charts``: the side panel (its ``images()``
 * draws the charts for the image); without it the charts option is hidden.
 * ``buttons``: ``#export-open`` in the top bar and any ``[data-export-open]``
 * (e.g. in the meeting's own bar).
 */
export function createExport(board, { charts = null, buttons = document.querySelectorAll('#export-open, [data-export-open]') } = {}) {
  const dialog = document.createElement('dialog');
  dialog.className = 'export-dialog';
  dialog.setAttribute('aria-labelledby', 'export-title');
  dialog.innerHTML = TEMPLATE;
  document.body.append(dialog);
  const form = dialog.querySelector('form');
  const status = dialog.querySelector('[data-status]');
  const go = dialog.querySelector('[data-go]');
  const withCharts = form.elements.charts;
  if (!charts) withCharts.closest('label').hidden = true;
  // The CSV exports (people only: a share link does not open them).
  const csv = dialog.querySelector('[data-csv]');
  csv.hidden = !!(board.config.meeting && board.config.meeting.share);
  function csvLinks() {
    const base = `/api/boards/${board.id}`;
    const filters = filterParams(board.filters).toString();
    csv.querySelector('[data-csv-leads]').href = `${base}/export.csv${filters ? `?${filters}` : ''}`;
    const start = new Date(Date.now() - 90 * 86_400_000).toISOString();
    csv.querySelector('[data-csv-transitions]').href = `${base}/transitions.csv?${new URLSearchParams({ start })}`;
  }

  function settings() {
    return { size: form.elements.size.value || '1x', charts: !!charts && withCharts.checked };
  }
  function restore() {
    let saved = {};
    try {
      saved = JSON.parse(localStorage.getItem(SETTINGS_KEY)) || {};
    } catch {
      /* none */
    }
    form.elements.size.value = EXPORT_SIZES.some((s) => s.id === saved.size) ? saved.size : '1x';
    withCharts.checked = !!saved.charts;
  }
  function showSizes() {
    const { charts: c } = settings();
    for (const s of EXPORT_SIZES) {
      const l = exportLayout(s.id, board.view.size, c);
      dialog.querySelector(`[data-dim="${s.id}"]`).textContent = s.id === '4k' ? '' : `${l.width} × ${l.height}`;
    }
  }
  form.addEventListener('change', showSizes);

  /**
   * Draw the PNG: {blob, name, width, height, ms (all of it), boardMs (the
   * canvas), chartsMs, encodeMs}. ``size``: '1x' | '2x' | '4k'.
   */
  async function exportImage({ size = '1x', charts: includeCharts = false } = {}) {
    const t0 = performance.now();
    const exportedAt = new Date();
    const layout = exportLayout(size, board.view.size, includeCharts && !!charts);
    const canvas = document.createElement('canvas');
    canvas.width = layout.width;
    canvas.height = layout.height;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = COLORS.page;
    ctx.fillRect(0, 0, layout.width, layout.height);

    const b = layout.board;
    let whole = null;
    if (b.whole) {
      // Every column, unfolded, with the cards that fit (the image's own layout).
      whole = boardImageLayout(board.columns || [], layout.width, layout.height, b.width * b.pixelRatio);
      const now = board.asOf ? Date.parse(board.asOf) : Date.now(); // days in stage as they were then
      drawWholeBoard(ctx, whole, { columns: board.columns || [], state: board.state, now });
    } else {
      const drawn = board.view.exportCanvas({ width: b.width, height: b.height, pixelRatio: b.pixelRatio, whole: false });
      ctx.drawImage(drawn, b.x, b.y);
      drawn.width = drawn.height = 0; // let the big canvas go now
    }
    const t1 = performance.now();

    if (layout.charts) {
      const c = layout.charts;
      ctx.fillStyle = '#ffffff'; // plotly's figures are drawn on white
      ctx.fillRect(c.x, c.y, c.width, c.height);
      const images = await charts.images({ width: c.tile.width, height: c.tile.height, scale: layout.scale });
      images.forEach((image, i) => ctx.drawImage(image, c.x, c.y + i * c.tile.height * layout.scale));
      if (!images.length) {
        ctx.fillStyle = COLORS.muted;
        ctx.font = `500 ${14 * layout.scale}px ${FONT_FAMILY}`;
        ctx.fillText('No leads to chart', c.x + 16 * layout.scale, c.y + 30 * layout.scale);
      }
    }
    const t2 = performance.now();

    const state = board.state;
    const filtersText = describeFilters(board.filters, {
      campaignName: (id) => (state && state.campaigns[id] ? state.campaigns[id].name : `campaign ${id}`),
      personName: (id) => (state && state.people[id] ? state.people[id].name : `user ${id}`),
    });
    const boardName = (state && state.board && state.board.name) || board.config.board.name;
    const stamp = stampText({ boardName, filtersText, asOf: board.asOf, exportedAt });
    drawStamp(ctx, layout, stamp);

    const blob = await toPng(canvas);
    canvas.width = canvas.height = 0;
    const t3 = performance.now();
    return {
      blob,
      name: exportFileName(boardName, { asOf: board.asOf, exportedAt }),
      width: layout.width,
      height: layout.height,
      ms: t3 - t0,
      boardMs: t1 - t0,
      chartsMs: t2 - t1,
      encodeMs: t3 - t2,
      stamp,
      // The whole board's layout (4K): where each column, card and "+N more" is.
      board: whole && {
        scale: whole.scale,
        top: whole.top,
        listTop: whole.listTop,
        cardH: whole.cardH,
        columns: whole.columns.map((c, i) => {
          const col = board.columns[i];
          return { id: col.id, kind: col.kind, name: col.name, color: col.color, figures: columnFigures(col), x: c.x, width: c.width, shown: c.shown, more: c.more, cards: c.cards, moreY: c.moreY };
        }),
      },
    };
  }

  async function run(event) {
    event.preventDefault();
    const chosen = settings();
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(chosen));
    } catch {
      /* private mode */
    }
    go.disabled = true;
    status.classList.remove('error');
    status.setAttribute('role', 'status');
    status.textContent = chosen.charts ? 'Drawing the board and the charts…' : 'Drawing the board…';
    try {
      const result = await exportImage(chosen);
      saveBlob(result.blob, result.name);
      dialog.close();
      board.toast(`Saved ${result.name} (${result.width} × ${result.height}).`);
    } catch (error) {
      status.classList.add('error');
      status.setAttribute('role', 'alert');
      status.textContent = `Could not export: ${error.message}`;
    } finally {
      go.disabled = false;
    }
  }
  form.addEventListener('submit', run);
  dialog.querySelector('[data-cancel]').addEventListener('click', () => dialog.close());

  function open() {
    if (!board.state) {
      board.toast('The board is still loading.');
      return;
    }
    restore();
    showSizes();
    csvLinks();
    status.textContent = '';
    dialog.showModal();
    go.focus();
  }
  for (const button of buttons) {
    button.hidden = false;
    button.addEventListener('click', open);
  }

  // For the tests and the benchmark: the image without the download.
  addToTestHook('exportImage', async (options) => {
    const { blob, ...rest } = await exportImage(options);
    return { ...rest, bytes: blob.size, type: blob.type };
  });

  return { open, exportImage };
}
