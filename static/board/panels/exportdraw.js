// The whole board drawn for the 4K export, on a plain 2D canvas, where
// canvas/exportlayout.js puts it: every column (none folded), its header
// figures, its cards at a legible size, "+N more" for the rest. The server's
// snapshot (funnel/numbers/snapshot.py) draws the same layout.

import { wholeBoardLayout, columnFigures, moreText } from '../canvas/exportlayout.js';
import { COLORS, FONT_FAMILY, teamColor } from '../canvas/theme.js';
import { ellipsize } from '../canvas/text.js';
import { aging, daysLabel, money } from '../core/format.js';
import { cardFor } from '../core/model.js';

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}

/**
 * The layout for ``columns`` (core/model.js columns) in a ``width`` x ``height``
 * image whose board part is ``boardWidth`` wide: the cards at hand are each
 * column's loaded ones (the rest are in its "+N more").
 */
export function boardImageLayout(columns, width, height, boardWidth = width) {
  const cols = columns.map((c) => ({ count: c.count, available: [...new Set(c.ids)].length }));
  return wholeBoardLayout(width, height, cols, { boardWidth });
}

/**
 * Draw the board into ``ctx`` (the image's context) as ``layout`` places it.
 * ``state``: the board state (the cards); ``now``: the moment whose days in
 * stage the cards show (ms).
 */
export function drawWholeBoard(ctx, layout, { columns, state, now = Date.now() }) {
  const s = layout.scale;
  const px = (n) => Math.max(1, Math.round(n * s));
  const minFont = (n) => Math.max(12, Math.round(n * s));
  const font = (size, weight = 500) => `${weight} ${size}px ${FONT_FAMILY}`;
  const measure = (f) => (t) => {
    ctx.font = f;
    return ctx.measureText(t).width;
  };
  ctx.textBaseline = 'middle';
  columns.forEach((col, i) => {
    const geo = layout.columns[i];
    const colour = col.color || teamColor(col.team);
    const figures = columnFigures(col);
    const x = geo.x;
    const w = geo.width;
    const pad = px(10);
    // The column and its strip.
    ctx.fillStyle = COLORS.column;
    roundRect(ctx, x, layout.top, w, layout.bottom - layout.top, px(12));
    ctx.fill();
    ctx.strokeStyle = COLORS.columnLine;
    ctx.lineWidth = Math.max(1, px(1));
    ctx.stroke();
    ctx.fillStyle = colour;
    roundRect(ctx, x, layout.top, w, px(6), [px(12), px(12), 0, 0]);
    ctx.fill();
    // Header: name; count · value, and the leads past the SLA; conversion.
    const inner = w - 2 * pad;
    const nameFont = font(minFont(18), 700);
    ctx.font = nameFont;
    ctx.fillStyle = COLORS.ink;
    ctx.textAlign = 'left';
    ctx.fillText(ellipsize(figures.name, inner, measure(nameFont)), x + pad, layout.top + px(26));
    const y2 = layout.top + px(52);
    const lateFont = font(minFont(14), 700);
    const lateW = figures.late ? measure(lateFont)(figures.late) + px(8) : 0;
    const countFont = font(minFont(15), 700);
    const line = `${figures.count} · ${figures.value}`;
    ctx.font = countFont;
    ctx.fillStyle = COLORS.body;
    ctx.fillText(ellipsize(line, inner - lateW, measure(countFont)), x + pad, y2);
    if (figures.late) {
      ctx.font = lateFont;
      ctx.fillStyle = COLORS.aging;
      ctx.textAlign = 'right';
      ctx.fillText(ellipsize(figures.late, inner, measure(lateFont)), x + w - pad, y2);
      ctx.textAlign = 'left';
    }
    if (figures.conversion) {
      const convFont = font(minFont(14), 600);
      ctx.font = convFont;
      ctx.fillStyle = COLORS.muted;
      ctx.fillText(ellipsize(`→ ${figures.conversion}`, inner, measure(convFont)), x + pad, layout.top + px(76));
    }
    // The cards that fit.
    const ids = [...new Set(col.ids)].slice(0, geo.shown);
    const stage = state.stages[col.id];
    const cx = x + px(8);
    const cw = w - 2 * px(8);
    const h = layout.cardH;
    const nFont = font(layout.nameFont, 700);
    const dFont = font(layout.detailFont, 500);
    ids.forEach((id, k) => {
      const card = cardFor(state, new Map(), id);
      const y = geo.cards[k];
      ctx.fillStyle = COLORS.card;
      roundRect(ctx, cx, y, cw, h, Math.max(3, px(6)));
      ctx.fill();
      ctx.strokeStyle = COLORS.cardLine;
      ctx.lineWidth = Math.max(1, px(1));
      ctx.stroke();
      if (!card) return;
      const campaign = card.campaign != null ? state.campaigns[card.campaign] : null;
      ctx.fillStyle = campaign ? campaign.color : colour;
      ctx.fillRect(cx, y + 2, Math.max(3, px(4)), h - 4);
      const left = cx + Math.max(8, px(12));
      const right = cx + cw - Math.max(6, px(8));
      const room = right - left;
      const value = card.value != null && card.value !== '' ? money(card.value, col.currency) : '';
      const old = aging(card, stage, now);
      const days = daysLabel(old.days);
      ctx.font = dFont;
      const valueW = value ? ctx.measureText(value).width + px(8) : 0;
      const daysW = ctx.measureText(days).width + px(8);
      const line1 = y + h * 0.32;
      const line2 = y + h * 0.72;
      ctx.font = nFont;
      ctx.fillStyle = COLORS.ink;
      ctx.textAlign = 'left';
      ctx.fillText(ellipsize(card.name || '', room - valueW, measure(nFont)), left, line1);
      ctx.font = dFont;
      ctx.fillStyle = COLORS.muted;
      ctx.fillText(ellipsize(card.company || '', room - daysW, measure(dFont)), left, line2);
      ctx.textAlign = 'right';
      if (value) {
        ctx.fillStyle = COLORS.body;
        ctx.fillText(value, right, line1);
      }
      ctx.fillStyle = old.overdue ? COLORS.aging : COLORS.muted;
      ctx.fillText(days, right, line2);
      ctx.textAlign = 'left';
    });
    if (geo.more) {
      ctx.fillStyle = COLORS.chipMore;
      roundRect(ctx, cx, geo.moreY, cw, layout.moreH, Math.max(3, px(6)));
      ctx.fill();
      const moreFont = font(Math.max(layout.detailFont, minFont(14)), 700);
      ctx.font = moreFont;
      ctx.fillStyle = COLORS.body;
      ctx.textAlign = 'center';
      ctx.fillText(moreText(geo.more), cx + cw / 2, geo.moreY + layout.moreH / 2);
      ctx.textAlign = 'left';
    }
  });
}
