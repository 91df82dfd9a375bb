// Colours and type of the board: one colour per team, campaigns bring their own,
// red only for aging and errors. Shared by the canvas (Konva) and the DOM.
//
// ``COLORS`` is the palette in use. The meeting view switches it between
// high-contrast light and dark (``setPalette``); the canvas modules read
// ``COLORS`` as they draw, so a switch takes effect on the next full redraw
// (``view.restyle()``).

export const TEAM_COLORS = {
  marketing: '#7c3aed',
  sales: '#0284c7',
  management: '#0f766e',
};

export const TEAM_LABELS = { marketing: 'Marketing', sales: 'Sales', management: 'Management' };

export const COLORS = {
  page: '#eef1f6',
  column: '#f8fafc',
  columnLine: '#dfe5ee',
  card: '#ffffff',
  cardLine: '#dde3ec',
  cardShadow: '#e3e8f0',
  ink: '#0f172a',
  body: '#334155',
  muted: '#64748b',
  faint: '#94a3b8',
  accent: '#4f46e5',
  focus: '#2563eb',
  drop: '#4f46e5',
  aging: '#dc2626',
  agingSoft: '#fee2e2',
  ring: '#cbd5e1',
  noCampaign: '#cbd5e1',
  chip: '#ffffff',
  chipLine: '#d6dde8',
  scoreHigh: '#dcfce7',
  scoreHighInk: '#166534',
  scoreMid: '#fef3c7',
  scoreMidInk: '#92400e',
  scoreLow: '#f1f5f9',
  scoreLowInk: '#475569',
  inverse: '#ffffff', // text on an ``ink`` background
  control: '#e8edf4', // fold buttons
  chipMore: '#eef2f7', // the "+N" chip
  costMissing: '#92400e', // a chip's "cost missing" flag (amber: a gap to fill, not an error)
  costMissingSoft: '#fef3c7',
  scrollbar: '#c3ccd9',
  wipAt: '#b45309', // a column at its WIP limit (amber)
  wipAtSoft: '#fef3c7',
  wipOver: '#dc2626', // past it (red)
  wipOverSoft: '#fee2e2',
};

const BOARD_COLORS = { ...COLORS };

/** Palettes over the board's own: projector-grade contrast, light and dark. */
export const PALETTES = {
  board: {},
  light: {
    page: '#ffffff',
    column: '#f1f5f9',
    columnLine: '#94a3b8',
    card: '#ffffff',
    cardLine: '#64748b',
    cardShadow: '#cbd5e1',
    ink: '#000000',
    body: '#111827',
    muted: '#1f2937',
    faint: '#475569',
    ring: '#94a3b8',
    chip: '#ffffff',
    chipLine: '#64748b',
    scoreHigh: '#bbf7d0',
    scoreHighInk: '#14532d',
    scoreMid: '#fde68a',
    scoreMidInk: '#78350f',
    scoreLow: '#e2e8f0',
    scoreLowInk: '#1e293b',
    control: '#e2e8f0',
    chipMore: '#e2e8f0',
    scrollbar: '#64748b',
    wipAt: '#92400e',
    wipOver: '#b91c1c',
  },
  dark: {
    page: '#000000',
    column: '#111827',
    columnLine: '#4b5563',
    card: '#1f2937',
    cardLine: '#6b7280',
    cardShadow: '#000000',
    ink: '#ffffff',
    body: '#f3f4f6',
    muted: '#d1d5db',
    faint: '#9ca3af',
    accent: '#a5b4fc',
    focus: '#93c5fd',
    drop: '#a5b4fc',
    aging: '#f87171',
    agingSoft: '#7f1d1d',
    ring: '#4b5563',
    noCampaign: '#6b7280',
    chip: '#111827',
    chipLine: '#6b7280',
    scoreHigh: '#14532d',
    scoreHighInk: '#bbf7d0',
    scoreMid: '#78350f',
    scoreMidInk: '#fde68a',
    scoreLow: '#374151',
    scoreLowInk: '#f3f4f6',
    inverse: '#000000',
    control: '#374151',
    chipMore: '#1f2937',
    costMissing: '#fde68a',
    costMissingSoft: '#78350f',
    scrollbar: '#6b7280',
    wipAt: '#fbbf24',
    wipAtSoft: '#78350f',
    wipOver: '#f87171',
    wipOverSoft: '#7f1d1d',
  },
};

/** Use palette ``name`` (board, light or dark) from now on; unknown names: the board's. */
export function setPalette(name) {
  Object.assign(COLORS, BOARD_COLORS, PALETTES[name] || {});
}

export const FONT_FAMILY =
  '"Inter", "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif';

/** The smallest type the canvas draws, in world units (0: as each part asks).
 * The meeting view sets it (``setTypeFloor``) so that every figure on the
 * projector reads at >= MEETING_MIN_PX screen pixels at its scale. */
export const TYPE = { floor: 0 };

/** The meeting's least type, screen pixels at 1920x1080 (the back of the room). */
export const MEETING_MIN_PX = 16;
// The canvas' fixed geometry (chip and card heights, the header's rows) takes
// type up to this size in world units; a scale too small for the floor gets this.
const FLOOR_MAX = 13;

/** The world type floor that gives ``minPx`` on screen at zoom ``scale`` (capped). */
export function typeFloorFor(scale, minPx = MEETING_MIN_PX) {
  if (!(scale > 0)) return 0;
  return Math.min(FLOOR_MAX, Math.ceil((minPx / scale) * 100) / 100);
}

/** Draw no type smaller than ``worldPx`` from now on (0: none); takes effect on the
 * next full redraw (``view.restyle()``). */
export function setTypeFloor(worldPx) {
  TYPE.floor = Math.max(0, Number(worldPx) || 0);
}

/** A font size as drawn: never under the floor. */
export function typeSize(size) {
  return Math.max(Number(size) || 12, TYPE.floor);
}

/** A canvas font string, e.g. font(14, 600) (measured as drawn: the floor applies). */
export function font(size, weight = 400) {
  return `${weight} ${typeSize(size)}px ${FONT_FAMILY}`;
}

/** How a column's "count / limit" is drawn for its WIP state (model.wipState):
 * amber at the limit, red past it, plain under it. */
export function wipColors(wip) {
  if (wip === 'over') return { ink: COLORS.wipOver, fill: COLORS.wipOverSoft };
  if (wip === 'at') return { ink: COLORS.wipAt, fill: COLORS.wipAtSoft };
  return { ink: COLORS.ink, fill: null };
}

export function teamColor(team) {
  return TEAM_COLORS[team] || COLORS.faint;
}
