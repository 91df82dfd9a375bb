// Board geometry in world units (CSS pixels at zoom 1). Pure.

import { ellipsize } from './text.js';

export const M = {
  padX: 16, // board edge to the first / last column
  padTop: 12,
  padBottom: 12,
  gap: 12, // between columns
  foldedW: 52,
  minColW: 236,
  maxColW: 480,
  colPad: 10, // column edge to cards
  headerH: 90,
  chipH: 26,
  chipGap: 6,
  chipRowsMax: 3,
  listInset: 8, // top of the card list to the first card
  cardH: 80,
  cardGap: 8,
  moreH: 40, // the "load more" row under a column's cards
  minZoom: 0.35,
  maxZoom: 2.5,
  narrowW: 600, // a canvas this narrow or less (a phone) shows one column per screen
  peek: 24, // on a narrow canvas: the room left for the next column's edge
  narrowMinColW: 160,
};

export const PITCH = M.cardH + M.cardGap;

// The handoff lane at the top of the first sales stage's list: a header, the
// waiting cards (taller: they carry Accept / Reject), a "more" note, a divider.
export const LANE = {
  headH: 34,
  cardH: M.cardH + 38,
  actionsH: 28, // the Accept / Reject row inside a lane card
  moreH: 24,
  footH: 18,
};

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/** Is the canvas narrow (a phone): one column per screen, swiped sideways? */
export function isNarrow(viewW, m = M) {
  return viewW > 0 && viewW <= m.narrowW;
}

/** Columns side by side, filling ``viewW`` at zoom 1: open columns share the
 * room (within min/max), folded ones are narrow. On a narrow canvas each open
 * column takes the width (less the board's padding and a peek of the next). */
export function columnsLayout(columns, viewW, m = M) {
  const folded = columns.filter((c) => c.folded).length;
  const open = columns.length - folded;
  const gaps = Math.max(0, columns.length - 1) * m.gap;
  const room = viewW - 2 * m.padX - gaps - folded * m.foldedW;
  const fitted = isNarrow(viewW, m)
    ? clamp(Math.floor(viewW - 2 * m.padX - m.peek), m.narrowMinColW, m.maxColW)
    : clamp(Math.floor(room / open), m.minColW, m.maxColW);
  const openW = open ? fitted : 0;
  let x = m.padX;
  const out = columns.map((c) => {
    const width = c.folded ? m.foldedW : openW;
    const col = { id: c.id, x, width, folded: !!c.folded };
    x += width + m.gap;
    return col;
  });
  const width = columns.length ? x - m.gap + m.padX : 2 * m.padX;
  return { columns: out, width };
}

/** The column under world ``x``: gaps go to the nearer column; off the board: null. */
export function columnAt(columns, x) {
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    if (x >= c.x && x <= c.x + c.width) return c.id;
    const next = columns[i + 1];
    if (next && x > c.x + c.width && x < next.x) {
      return x - (c.x + c.width) <= next.x - x ? c.id : next.id;
    }
  }
  if (!columns.length) return null;
  const first = columns[0];
  const last = columns[columns.length - 1];
  if (x < first.x && x >= first.x - M.padX) return first.id;
  if (x > last.x + last.width && x <= last.x + last.width + M.padX) return last.id;
  return null;
}

/** Height of the campaign chips band (the same in every column so cards line up). */
export function chipsBandH(rows, m = M) {
  return rows > 0 ? rows * (m.chipH + m.chipGap) + m.chipGap : 0;
}

/** Where a column's card list sits: top (world y) and visible height. */
export function listBox(worldH, chipRows, m = M) {
  const top = m.padTop + m.headerH + chipsBandH(chipRows, m);
  const bottom = worldH - m.padBottom;
  return { top, height: Math.max(0, bottom - top) };
}

/** Top of card ``index`` in list coordinates (before scrolling). */
export function cardTop(index, m = M) {
  return m.listInset + index * (m.cardH + m.cardGap);
}

/** Height of the list's content: the loaded cards, plus the "more" row. */
export function contentHeight(count, hasMore, m = M) {
  const cards = count ? count * (m.cardH + m.cardGap) - m.cardGap : 0;
  return m.listInset + cards + (hasMore ? m.moreH : 0) + m.listInset;
}

export function maxScroll(count, hasMore, viewH, m = M) {
  return Math.max(0, contentHeight(count, hasMore, m) - viewH);
}

export function clampScroll(scroll, count, hasMore, viewH, m = M) {
  return clamp(scroll, 0, maxScroll(count, hasMore, viewH, m));
}

/** Cards [first, end) that show (at least partly) in a list scrolled by ``scroll``. */
export function visibleRange(scroll, viewH, count, m = M, overscan = 1) {
  const pitch = m.cardH + m.cardGap;
  const first = Math.floor((scroll - m.listInset) / pitch) - overscan;
  const end = Math.ceil((scroll + viewH - m.listInset) / pitch) + overscan;
  return [clamp(first, 0, count), clamp(end, 0, count)];
}

/** The insertion slot for a pointer at ``y`` (list coordinates, scroll included):
 * pointing at card k (or the gap above it) puts the card at index k; below
 * the last card, at the end. */
export function dropIndex(y, count, m = M) {
  const pitch = m.cardH + m.cardGap;
  return clamp(Math.floor((y - m.listInset + m.cardGap / 2) / pitch), 0, count);
}

/** The scroll that shows card ``index`` whole, changing ``scroll`` as little as possible. */
export function scrollToShow(index, scroll, viewH, m = M) {
  const top = cardTop(index, m) - m.listInset;
  const bottom = cardTop(index, m) + m.cardH + m.listInset;
  if (top < scroll) return Math.max(0, top);
  if (bottom > scroll + viewH) return bottom - viewH;
  return scroll;
}

/** Is the list scrolled near its end (time to load the next page)? */
export function nearEnd(scroll, viewH, count, m = M) {
  const pitch = m.cardH + m.cardGap;
  return scroll + viewH >= contentHeight(count, false, m) - 2 * pitch;
}

export function clampZoom(z, m = M) {
  return clamp(z, m.minZoom, m.maxZoom);
}

/** Zoom that shows the whole board width (never above 1). */
export function fitZoom(boardW, viewW, m = M) {
  if (boardW <= 0 || viewW <= 0) return 1;
  return clampZoom(Math.min(1, viewW / boardW), m);
}

/** The zoom the board opens at (and "Fit" returns to): on a narrow canvas 1
 * (one column fills the width, type at its own size); else the whole board fitted. */
export function openingZoom(boardW, viewW, m = M) {
  return isNarrow(viewW, m) ? 1 : fitZoom(boardW, viewW, m);
}

/** The pan that keeps the world point under ``pointer`` in place when zooming. */
export function zoomAround(pointer, pan, fromZ, toZ) {
  return pointer - ((pointer - pan) * toZ) / fromZ;
}

/** Horizontal pan: a board narrower than the view is centred; a wider one
 * cannot be dragged past its edges. */
export function clampPan(pan, boardW, zoom, viewW) {
  const shown = boardW * zoom;
  if (shown <= viewW) return Math.round((viewW - shown) / 2);
  return clamp(pan, viewW - shown, 0);
}

/**
 * Where sideways swipes come to rest when the board shows one column per screen
 * (a narrow canvas at zoom 1): the pan that puts each open column at the left
 * edge, clamped like any pan (the last stop shows the board's end), from the
 * first column to the last. Empty when the board is not shown that way.
 */
export function columnStops(columns, boardW, zoom, viewW, m = M) {
  if (!isNarrow(viewW, m) || Math.abs(zoom - 1) > 0.05) return [];
  const stops = [];
  for (const c of columns) {
    if (c.folded) continue;
    const p = clampPan((m.padX - c.x) * zoom, boardW, zoom, viewW);
    if (!stops.length || Math.abs(stops[stops.length - 1] - p) > 1) stops.push(p);
  }
  // The board's end (folded Won and Lost after the last open column).
  const end = clampPan(-Infinity, boardW, zoom, viewW);
  if (stops.length && stops[stops.length - 1] - end > 1) stops.push(end);
  return stops;
}

/** The stop nearest to ``pan`` (an index into ``stops``; -1: none). */
export function nearestStop(stops, pan) {
  let best = -1;
  for (let i = 0; i < stops.length; i++) {
    if (best < 0 || Math.abs(stops[i] - pan) < Math.abs(stops[best] - pan)) best = i;
  }
  return best;
}

/**
 * The pan a sideways swipe snaps to (null: no snapping, ``stops`` empty). It
 * started at pan ``from`` and was let go at ``to`` with ``velocity`` (pan px per
 * ms): a flick or a swipe past a quarter of the view goes one column on in its
 * direction (never more); a short slow one comes back to the nearest column.
 */
export function snapPan(stops, from, to, velocity, viewW, { flick = 0.3, far = 0.25 } = {}) {
  if (!stops.length) return null;
  const start = nearestStop(stops, from);
  const moved = to - from;
  const d = Math.abs(velocity) >= flick ? velocity : Math.abs(moved) >= far * viewW ? moved : 0;
  if (!d) return stops[nearestStop(stops, to)];
  // The pan falls as the board moves left (the next column comes in).
  return stops[clamp(start + (d < 0 ? 1 : -1), 0, stops.length - 1)];
}

/** The "cost missing" flag after a chip's count (``chip.costMissing``). */
export const COST_FLAG = '$?';

/** Chips in rows of ``width``: [{chip, x, y, w, label, countText, flagW}], and how
 * many did not fit. ``flagW``: the cost-missing flag's width (0: no flag). */
export function chipsLayout(chips, width, measure, m = M, maxRows = m.chipRowsMax) {
  const out = [];
  const gap = 6;
  const maxW = Math.min(width, Math.max(120, width * 0.7));
  let x = 0;
  let row = 0;
  let hidden = 0;
  for (let i = 0; i < chips.length; i++) {
    const chip = chips[i];
    const countText = String(chip.count);
    const flagW = chip.costMissing ? Math.ceil(measure(COST_FLAG, 'count') + 10) : 0;
    const fixed = 8 + 8 + 6 + 6 + measure(countText, 'count') + 9 + (flagW ? flagW + 6 : 0);
    const label = ellipsize(chip.name, maxW - fixed, (t) => measure(t, 'name'));
    const w = Math.ceil(fixed + measure(label, 'name'));
    if (x > 0 && x + w > width) {
      row += 1;
      x = 0;
    }
    if (row >= maxRows) {
      hidden = chips.length - i;
      break;
    }
    out.push({ chip, x, y: row * (m.chipH + m.chipGap), w, label, countText, flagW });
    x += w + gap;
  }
  if (hidden) {
    // Make room for a "+N" chip at the end of the last row.
    const w = Math.ceil(16 + measure('+99', 'count'));
    const lastRow = out.filter((c) => c.y === (maxRows - 1) * (m.chipH + m.chipGap));
    while (lastRow.length && lastRow[lastRow.length - 1].x + lastRow[lastRow.length - 1].w + gap + w > width) {
      out.splice(out.indexOf(lastRow.pop()), 1);
      hidden += 1;
    }
    const end = lastRow.length ? lastRow[lastRow.length - 1].x + lastRow[lastRow.length - 1].w + gap : 0;
    const y = (maxRows - 1) * (m.chipH + m.chipGap);
    return { chips: out, rows: maxRows, more: { x: end, y, w, label: `+${hidden}`, hidden } };
  }
  return { chips: out, rows: out.length ? row + 1 : 0, more: null };
}

/**
 * Where the cards of a column's list sit, in list coordinates (before
 * scrolling), for ``count`` drawn cards whose first ``lane.n`` are the handoff
 * lane's (``lane``: null for a column without one; ``lane.more``: waiting leads
 * not drawn). Pure; a column without a lane is the plain uniform list.
 */
export function listLayout(count, hasMore, lane = null, m = M) {
  const n = lane ? Math.min(lane.n, count) : 0;
  const lanePitch = LANE.cardH + m.cardGap;
  const laneCards = n ? n * lanePitch - m.cardGap : 0;
  const offset = lane ? m.listInset + LANE.headH + laneCards + (lane.more ? LANE.moreH : 0) + LANE.footH : 0;
  const rest = count - n;
  const content = offset + contentHeight(rest, hasMore, m);
  const top = (i) => (i < n ? m.listInset + LANE.headH + i * lanePitch : offset + cardTop(i - n, m));
  const height = (i) => (i < n ? LANE.cardH : m.cardH);
  return {
    lane: n,
    offset,
    content,
    top,
    height,
    /** Cards [first, end) that show (at least partly) in a list scrolled by ``scroll``. */
    visible(scroll, viewH) {
      let first = 0;
      while (first < n && top(first) + LANE.cardH < scroll) first += 1;
      if (first < n) {
        let end = first;
        while (end < n && top(end) < scroll + viewH) end += 1;
        if (end < n) return [first, end];
        const [, restEnd] = visibleRange(scroll - offset, viewH, rest, m);
        return [first, n + restEnd];
      }
      const [a, b] = visibleRange(scroll - offset, viewH, rest, m);
      return [n + a, n + b];
    },
    /** The drop slot (an index among the drawn cards) for a pointer at list ``y``:
     * over the lane, the top of the other cards. */
    dropIndex(y) {
      if (y < offset) return n;
      return n + dropIndex(y - offset, rest, m);
    },
    /** Top of the drop marker for a slot. */
    markerY(slot) {
      if (slot <= n) return offset + m.listInset - m.cardGap / 2 - 2;
      return offset + cardTop(slot - n, m) - m.cardGap / 2 - 2;
    },
    maxScroll(viewH) {
      return Math.max(0, content - viewH);
    },
    clampScroll(scroll, viewH) {
      return clamp(scroll, 0, Math.max(0, content - viewH));
    },
    /** The scroll that shows card ``i`` whole, changing ``scroll`` as little as possible. */
    scrollToShow(i, scroll, viewH) {
      const upper = top(i) - m.listInset;
      const lower = top(i) + height(i) + m.listInset;
      if (upper < scroll) return Math.max(0, upper);
      if (lower > scroll + viewH) return lower - viewH;
      return scroll;
    },
    /** Is the list scrolled near its end (time to load the next page)? */
    nearEnd(scroll, viewH) {
      return scroll + viewH >= offset + contentHeight(rest, false, m) - 2 * (m.cardH + m.cardGap);
    },
  };
}
