// The side panel's charts: the funnel, days in stage, campaigns and weekly
// cohorts, drawn by plotly.js from the figures of ``GET /charts/`` (the same
// filters as the board, and its moment when it shows the past). They follow
// live moves (on the live board without filters, as the server pushes them with
// ``numbers.updated``; else a little behind, so a burst of moves costs one
// request), the filters and the time bar. plotly.js (~4.8 MB, from the installed Python
// ``plotly`` package, copied by ``make build``) loads the first time a chart is
// drawn. The panel folds away (remembered in this browser); folded, it asks
// for nothing. On a phone it is folded into the "☰ More" sheet (board.css hides
// it, ui/menu.js): nothing is asked for nor drawn until the sheet shows it.

import { addToTestHook } from '../ui/hook.js';
import { filtersActive, sameFilters } from '../core/filters.js';
import { momentLabel } from '../core/replay.js';
import { afterFirstDraw } from './idle.js';
import { olderThanShown, pushApplies } from '../net/figures.js';
import { MEETING_MIN_PX } from '../canvas/theme.js';

const OPEN_KEY = 'funnelboard.panel';
const SETTLE_MS = 1500; // after the last live move
const MAX_WAIT_MS = 3000; // a steady stream of moves still refreshes this often
const PLOT_CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };

export const CHARTS = [
  { key: 'funnel', label: 'Funnel chart' },
  { key: 'time_in_stage', label: 'Days in stage chart' },
  { key: 'campaigns', label: 'Campaign comparison chart' },
  { key: 'cohorts', label: 'Weekly cohort conversion heat map' },
];

// plotly.js, once per page.

let plotly = null;

/** Where the page keeps plotly.js: ``data-plotly-src`` on the panel, else the
 * static default. */
export function plotlySrc(doc = globalThis.document) {
  const el = doc && doc.querySelector('[data-plotly-src]');
  return (el && el.dataset.plotlySrc) || '/static/vendor/plotly.min.js';
}

/** plotly.js, loaded with a <script> the first time it is asked for. */
export function loadPlotly(src = plotlySrc()) {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.async = true;
      script.onload = () =>
        globalThis.Plotly ? resolve(globalThis.Plotly) : reject(new Error('plotly.js loaded but did not start'));
      script.onerror = () => {
        plotly = null; // a later try may succeed
        script.remove();
        reject(new Error(`the charts library did not load (${src}); the server needs \`make build\``));
      };
      document.head.append(script);
    });
  }
  return plotly;
}

// The server's figures, fitted to a narrow panel (or an export's tiles). Pure.

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/** "Ebook: Funnel Metrics That Matter" -> "Ebook: Funnel Metrics T…" */
export function shortLabel(text, max = 24) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s;
}

/** Height that fits a chart's content: cohorts have a row per week, campaigns a
 * pair of bars per campaign. */
export function chartHeight(key, figure) {
  const trace = (figure && figure.data && figure.data[0]) || {};
  if (key === 'cohorts') return clamp(90 + (trace.y ? trace.y.length : 0) * 16, 220, 560);
  if (key === 'campaigns') return clamp(90 + (trace.x ? trace.x.length : 0) * 30, 200, 520);
  if (key === 'funnel') return 250;
  return 230;
}

/**
 * A figure for the panel: compact margins and type, horizontal campaign bars
 * (long names read better down the side), a slim colour bar on the heat map.
 * ``size``: {width?, height?} (an export gives both; the panel only a height).
 */
export function panelFigure(key, figure, size = {}, theme = 'light', { minFont = 0 } = {}) {
  const base = figure.layout || {};
  // ``minFont``: the meeting view's least type (16 px): every label of the chart grows to it.
  const px = (n) => Math.max(n, minFont);
  const font = { ...(base.font || {}), size: px(11) };
  const titleText = base.title && typeof base.title === 'object' ? base.title.text : base.title;
  const layout = {
    ...base,
    font,
    title: { text: titleText || '', x: 0.02, xanchor: 'left', font: { size: px(13.5) + (minFont ? 2 : 0) } },
    margin: minFont ? { l: 60, r: 14, t: 52, b: 44 } : { l: 52, r: 14, t: 40, b: 34 },
    height: size.height || Math.round(chartHeight(key, figure) * (minFont ? Math.max(1, minFont / 11) * 0.9 : 1)),
    autosize: size.width == null,
    legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.02, yanchor: 'bottom', font: { size: px(10.5) } },
  };
  if (size.width != null) layout.width = size.width;
  else delete layout.width;
  let data = (figure.data || []).map((trace) => ({ ...trace }));
  if (key === 'funnel') {
    layout.margin = { ...layout.margin, l: 90, b: 16 };
    layout.showlegend = false;
  } else if (key === 'campaigns') {
    const names = (data[0] && data[0].x) || [];
    data = data.map((trace) => ({ ...trace, orientation: 'h', x: trace.y, y: trace.x }));
    layout.yaxis = { ...(base.yaxis || {}), title: { text: '' }, automargin: true, autorange: 'reversed', tickvals: names, ticktext: names.map((n) => shortLabel(n)) };
    layout.xaxis = { ...(base.xaxis || {}), title: { text: 'leads' } };
    layout.margin = { ...layout.margin, l: 10 };
  } else if (key === 'cohorts') {
    // Percentages in the cells only where a row is tall enough to read them.
    const rows = (data[0] && data[0].y ? data[0].y.length : 0) || 1;
    const readable = (layout.height - 70) / rows >= px(9) + 4;
    data = data.map((trace) => ({
      ...trace,
      colorbar: { thickness: 10, len: 0.9, tickformat: '.0%' },
      textfont: { size: px(9) },
      ...(readable ? {} : { texttemplate: '' }),
    }));
    layout.yaxis = { ...(base.yaxis || {}), automargin: true, tickfont: { size: px(10) } };
    layout.margin = { ...layout.margin, l: 10, b: 28 };
  }
  if (theme === 'dark') darken(layout);
  return { data, layout };
}

/** The meeting view's dark theme: light ink on a black ground, dim grid lines. */
function darken(layout) {
  const ink = '#f3f4f6';
  const grid = '#374151';
  layout.paper_bgcolor = '#000000';
  layout.plot_bgcolor = '#000000';
  layout.font = { ...layout.font, color: ink };
  layout.title = { ...layout.title, font: { ...(layout.title.font || {}), color: ink } };
  layout.legend = { ...layout.legend, font: { ...(layout.legend.font || {}), color: ink } };
  for (const axis of ['xaxis', 'yaxis']) {
    layout[axis] = { ...(layout[axis] || {}), gridcolor: grid, zerolinecolor: grid, linecolor: grid, color: ink };
  }
}

/** The least chart type of the page: the meeting view's 16 px (theme.js), else none. */
function pageMinFont() {
  return typeof document !== 'undefined' && document.body.classList.contains('page-meeting') ? MEETING_MIN_PX : 0;
}

/** The page's theme (the meeting view sets ``data-theme`` on <html>). */
function pageTheme() {
  return typeof document !== 'undefined' && document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** No lead counted: the first funnel stage reached by nobody. */
export function chartsEmpty(figures) {
  const trace = figures && figures.funnel && figures.funnel.data && figures.funnel.data[0];
  const values = (trace && trace.x) || [];
  return !values.some((v) => Number(v) > 0);
}

/** What a chart shows, for screen readers: "Funnel: New 240, MQL 113, …". */
export function chartSummary(key, figure) {
  const trace = (figure && figure.data && figure.data[0]) || {};
  if (key === 'funnel' && trace.y) {
    return `Funnel: ${trace.y.map((name, i) => `${name} ${trace.x ? trace.x[i] : ''}`).join(', ')}`;
  }
  if (key === 'time_in_stage' && trace.x) {
    // Every bar series by its own name ("Left after (median)", "Here now (median age)").
    const days = (v) => (v == null ? 'no data' : `${Number(v).toFixed(1)} days`);
    return figure.data
      .map((t) => `${t.name}: ${t.x.map((name, i) => `${name} ${days(t.y[i])}`).join(', ')}`)
      .join('; ');
  }
  const title = figure && figure.layout && figure.layout.title;
  return (title && (title.text || title)) || key;
}

const TEMPLATE = `
  <header class="np-head">
    <h2 class="np-title">Numbers</h2>
    <span class="np-moment" data-moment>live</span>
    <span class="np-busy" data-busy role="status"></span>
  </header>
  <div class="np-note" data-note hidden></div>
  <div class="np-charts" data-charts>
    ${CHARTS.map((c) => `<figure class="np-chart" data-chart="${c.key}"><div class="np-plot" role="img" aria-label="${c.label}"></div></figure>`).join('')}
  </div>`;

export function createPanel(board, {
  panel = document.getElementById('panel'),
  root = document.getElementById('panel-charts'),
  toggle = document.getElementById('panel-toggle'),
} = {}) {
  if (!panel || !root) return {};
  root.innerHTML = TEMPLATE;
  const note = root.querySelector('[data-note]');
  const busy = root.querySelector('[data-busy]');
  const momentEl = root.querySelector('[data-moment]');
  const chartsEl = root.querySelector('[data-charts]');
  const plots = new Map(CHARTS.map((c) => [c.key, root.querySelector(`[data-chart="${c.key}"] .np-plot`)]));

  let figures = null; // the last /charts/ answer drawn
  let drawnFor = null; // {filters, asOf} it answered
  let draws = 0;
  let timer = null;
  let firstAsk = 0;
  let running = null;
  let again = false;
  let stale = true; // something changed while folded
  let started = false; // the board has loaded once
  let pushed = null; // charts the server pushed while they could not be drawn

  // Folded: by its toggle, or out of the page's layout (a phone's closed "☰ More" sheet).
  const folded = () => panel.hidden || panel.getClientRects().length === 0;
  // The sheet opened (ui/menu.js says so with a resize), or the screen turned wide.
  window.addEventListener('resize', () => {
    if (stale && started && timer == null && !running && !folded()) schedule(0);
  });

  // Folding, remembered in this browser.
  function readOpen() {
    try {
      return localStorage.getItem(OPEN_KEY) !== 'closed';
    } catch {
      return true;
    }
  }
  function setOpen(open, { remember = true } = {}) {
    panel.hidden = !open;
    if (toggle) {
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? 'Hide panel' : 'Show panel';
    }
    if (remember) {
      try {
        localStorage.setItem(OPEN_KEY, open ? 'open' : 'closed');
      } catch {
        /* private mode */
      }
    }
    if (open && stale && started) schedule(0);
    else if (open && plotly && globalThis.Plotly) {
      for (const div of plots.values()) if (div.data) globalThis.Plotly.Plots.resize(div);
    }
  }
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener('click', () => setOpen(panel.hidden));
  }

  function showNote(text, { kind = 'info', retry = false } = {}) {
    note.hidden = !text;
    note.className = `np-note${kind === 'error' ? ' np-error' : ''}`;
    note.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    note.textContent = text || '';
    if (retry) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'quiet';
      button.textContent = 'Try again';
      button.addEventListener('click', () => schedule(0));
      note.append(' ', button);
    }
  }

  function emptyText() {
    if (filtersActive(board.filters)) return 'No leads match the filters: nothing to chart.';
    if (board.asOf) return `No leads on the board on ${momentLabel(board.asOf)}: nothing to chart yet.`;
    return 'No leads on this board yet: the charts fill in as leads come in.';
  }

  /** Ask for fresh figures: soon after the last of a burst of changes, and at
   * least every MAX_WAIT_MS while they keep coming. */
  function schedule(delay = SETTLE_MS) {
    stale = true;
    // Charts of another moment or other filters than the board's: dimmed until fresh.
    chartsEl.classList.toggle('np-stale', figures != null && !sameAsk(drawnFor, { filters: board.filters, asOf: board.asOf }));
    if (folded()) return;
    const now = Date.now();
    if (timer == null) firstAsk = now;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (board.dragging) schedule(300); // no chart work under the user's hand
      else refresh();
    }, Math.max(0, Math.min(delay, firstAsk + MAX_WAIT_MS - now)));
  }

  const sameAsk = (a, b) => a && b && a.asOf === b.asOf && sameFilters(a.filters, b.filters);

  async function fetchFigures(ask) {
    const waiting = pushed;
    pushed = null;
    if (waiting && pushApplies(ask)) return waiting;
    return board.api.charts(ask.filters, { asOf: ask.asOf });
  }

  /** The server's numbers.updated: its charts, drawn now unless folded or under a
   * drag (then at the next refresh); without them (too big) they are asked for. */
  function takePush(message) {
    const ask = { filters: board.filters, asOf: board.asOf };
    if (!started || !pushApplies(ask)) return;
    if (!message.charts) {
      schedule(0);
      return;
    }
    pushed = { ...message.charts, seq: message.seq };
    if (folded() || board.dragging || running) {
      schedule(board.dragging ? 300 : 0);
      return;
    }
    clearTimeout(timer);
    timer = null;
    stale = false;
    const answer = pushed;
    pushed = null;
    loadPlotly()
      .then((Plotly) => draw(Plotly, answer, ask))
      .then(() => showNote(chartsEmpty(answer) ? emptyText() : ''))
      .catch((error) => showNote(`Could not draw the charts: ${error.message}`, { kind: 'error', retry: true }));
  }

  function refresh() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      const ask = { filters: board.filters, asOf: board.asOf };
      stale = false;
      busy.textContent = 'Updating…';
      try {
        const [Plotly, answer] = await Promise.all([loadPlotly(), fetchFigures(ask)]);
        if (!sameAsk(ask, { filters: board.filters, asOf: board.asOf })) {
          again = true; // the board moved on while this loaded
          // A replay moves on faster than figures come: show the moment it passed (labelled), then the next.
          if (!(ask.asOf && board.asOf && sameFilters(ask.filters, board.filters))) return;
        }
        await draw(Plotly, answer, ask);
        showNote(chartsEmpty(answer) ? emptyText() : '');
      } catch (error) {
        stale = true;
        chartsEl.classList.toggle('np-stale', figures != null);
        showNote(`Could not load the charts: ${error.message}`, { kind: 'error', retry: true });
      } finally {
        busy.textContent = '';
        running = null;
        if (again) {
          again = false;
          schedule(0);
        }
      }
    })();
    return running;
  }

  async function draw(Plotly, answer, ask) {
    if (sameAsk(drawnFor, ask) && olderThanShown(answer, figures)) return;
    const empty = chartsEmpty(answer);
    chartsEl.hidden = empty;
    figures = answer;
    drawnFor = ask;
    momentEl.textContent = ask.asOf ? `as of ${momentLabel(ask.asOf)}` : 'live';
    momentEl.classList.toggle('past', ask.asOf != null);
    chartsEl.classList.remove('np-stale');
    if (empty) return;
    await Promise.all(
      CHARTS.map(({ key, label }) => {
        const div = plots.get(key);
        const figure = answer[key];
        if (!figure) return null;
        const fitted = panelFigure(key, figure, {}, pageTheme(), { minFont: pageMinFont() });
        div.setAttribute('aria-label', `${label}. ${chartSummary(key, figure)}`);
        return Plotly.react(div, fitted.data, fitted.layout, PLOT_CONFIG);
      }),
    );
    draws += 1;
    root.dataset.seq = String(answer.seq ?? '');
    root.dataset.draws = String(draws);
  }

  /**
   * The four charts as images for an export: each ``width`` x ``height`` CSS
   * pixels at ``scale``, in CHARTS order. Uses the figures on screen when they
   * answer the board's filters and moment, else asks for them.
   */
  async function images({ width, height, scale = 1 }) {
    const ask = { filters: board.filters, asOf: board.asOf };
    const [Plotly, answer] = await Promise.all([
      loadPlotly(),
      figures && sameAsk(drawnFor, ask) ? figures : fetchFigures(ask),
    ]);
    if (chartsEmpty(answer)) return [];
    const urls = [];
    for (const { key } of CHARTS) {
      if (!answer[key]) continue;
      const fitted = panelFigure(key, answer[key], { width, height }, pageTheme());
      urls.push(await Plotly.toImage({ data: fitted.data, layout: fitted.layout }, { format: 'png', width, height, scale }));
    }
    return Promise.all(urls.map(decodeImage));
  }

  addToTestHook('panelCharts', () => ({
    open: !panel.hidden,
    folded: folded(),
    plotly: globalThis.Plotly != null,
    draws,
    seq: figures ? figures.seq : null,
    asOf: drawnFor ? drawnFor.asOf : null,
    note: note.hidden ? '' : note.textContent,
    drawn: [...plots].filter(([, div]) => div.querySelector('.main-svg')).map(([key]) => key),
    funnel: figures && figures.funnel ? { stages: figures.funnel.data[0].y, reached: figures.funnel.data[0].x } : null,
  }));

  setOpen(readOpen(), { remember: false });

  return {
    images,
    loaded() {
      if (started) {
        schedule(SETTLE_MS);
        return;
      }
      started = true;
      // The first charts wait for the board's first draw: plotly.js (4 MB) is
      // parsed on the main thread and would hold the board back.
      // A push may have drawn them meanwhile.
      afterFirstDraw(() => {
        if (stale || !sameAsk(drawnFor, { filters: board.filters, asOf: board.asOf })) schedule(0);
      }, { quietMs: 600 });
    },
    // The charts follow the headers' figures (net/figures.js): a move updates both
    // together, instead of the charts on a timer of their own. Pushed figures come
    // with their charts (``message``).
    // An answer of the seq the charts on screen were drawn for (same view) has nothing new.
    funnel: (funnel, { pushed: push = false } = {}) => {
      if (!started || push) return;
      const ask = { filters: board.filters, asOf: board.asOf };
      const drawnNow = figures && sameAsk(drawnFor, ask) && funnel && funnel.seq != null && figures.seq === funnel.seq;
      if (!drawnNow) schedule(0);
    },
    message: (message) => {
      if (message.type === 'numbers.updated') takePush(message);
    },
    filters: () => schedule(0),
    asOf: () => schedule(board.asOf ? 600 : 0),
    theme: () => {
      if (figures && drawnFor) loadPlotly().then((Plotly) => draw(Plotly, figures, drawnFor)).catch(() => {});
    },
  };
}

function decodeImage(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error('a chart image did not decode'));
    image.src = url;
  });
}
