// Colours and type of the board: one colour per team, campaigns bring their own,
// red only for aging and errors. Shared by the canvas (Konva) and the DOM.

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
};

export const FONT_FAMILY =
  '"Inter", "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif';

/** A canvas font string, e.g. font(14, 600). */
export function font(size, weight = 400) {
  return `${weight} ${size}px ${FONT_FAMILY}`;
}

export function teamColor(team) {
  return TEAM_COLORS[team] || COLORS.faint;
}
