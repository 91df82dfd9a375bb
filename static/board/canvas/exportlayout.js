// The whole board as one image (the 4K export): every column side by side,
// none folded (Won and Lost too), each with its header figures and as many
// cards as fit at a legible size, then "+N more". Pure.
//
// The rules (sizes, the least legible card, the words) are the server's
// (funnel/numbers/boardimage.py, handed over in the generated contract), and
// the server's snapshot lays its image out the same way; a test runs this
// module against the Python one (tests/funnel/numbers/test_boardimage.py).

import { EXPORT_RULES as R } from '../generated/contract.js';
import { money, count as countText, percent } from '../core/format.js';

export const RULES = R;

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => values[k]);

export function imageScale(width, height) {
  return Math.min(width / R.design.width, height / R.design.height);
}

/**
 * Where everything goes in a ``width`` x ``height`` image (image pixels).
 * ``columns``: per stage, in board order, ``count`` (its leads, as the header
 * counts them) and ``available`` (the cards at hand to draw; the rest are
 * counted in "+N more"). ``boardWidth``: the board's part of the width (the
 * rest is the charts'), all of it by default.
 */
export function wholeBoardLayout(width, height, columns, { boardWidth = width } = {}) {
  const s = imageScale(width, height);
  const band = Math.round(R.band * s);
  const n = columns.length;
  const padX = R.padX * s;
  const gap = R.gap * s;
  const colW = n ? (boardWidth - 2 * padX - Math.max(0, n - 1) * gap) / n : 0;
  const top = band + Math.round(R.padTop * s);
  const headerH = Math.round(R.headerH * s);
  const cardH = Math.max(R.minCardPx, Math.round(R.cardH * s));
  const cardGap = Math.max(2, Math.round(R.cardGap * s));
  const moreH = Math.max(R.minFontPx * 2, Math.round(R.moreH * s));
  const listTop = top + headerH + Math.round(R.listInset * s);
  const bottom = height - Math.round(R.padBottom * s) - Math.round(R.listInset * s);
  const room = Math.max(0, bottom - listTop);
  const pitch = cardH + cardGap;
  const fit = Math.max(0, Math.floor((room + cardGap) / pitch)); // every card, no "+N more"
  const fitWithMore = Math.max(0, Math.floor((room - moreH) / pitch)); // with one
  const out = columns.map((column, i) => {
    const total = Math.max(0, Math.trunc(Number(column.count) || 0));
    const available = Math.max(0, Math.trunc(column.available ?? total));
    const shown = total <= fit && available >= total ? total : Math.min(available, fitWithMore, total);
    const x = Math.round(padX + i * (colW + gap));
    const xEnd = Math.round(padX + i * (colW + gap) + colW);
    const more = total - shown;
    return {
      x,
      width: xEnd - x,
      shown,
      more,
      cards: Array.from({ length: shown }, (_, k) => listTop + k * pitch),
      moreY: more ? listTop + shown * pitch : null,
    };
  });
  return {
    width,
    height,
    scale: s,
    band,
    top,
    headerH,
    listTop,
    bottom: height - Math.round(R.padBottom * s),
    cardH,
    cardGap,
    moreH,
    fit,
    fitWithMore,
    nameFont: Math.max(R.minFontPx, Math.round(cardH * R.cardNameFont)),
    detailFont: Math.max(R.minFontPx, Math.round(cardH * R.cardDetailFont)),
    columns: out,
  };
}

/** A column header's texts (as the board's header writes them): name, "412
 * leads" ("7 / 3 leads" with a WIP limit), "$1.2M", "398 past SLA" ("" when
 * none), "41% to SQL" ("" for the last open stage, Won and Lost). ``col``: a
 * column of core/model.js (count, value, currency, overdue, wip_limit,
 * conversion, nextName). */
export function columnFigures(col) {
  const w = R.words;
  const n = Math.trunc(Number(col.count) || 0);
  const number = col.wip_limit != null ? `${countText(n)} / ${countText(col.wip_limit)}` : countText(n);
  const overdue = Math.trunc(Number(col.overdue) || 0);
  const converts = col.conversion != null && (col.kind ?? 'open') === 'open' && col.nextName;
  return {
    name: String(col.name ?? ''),
    count: `${number} ${n === 1 ? w.lead : w.leads}`,
    value: money(col.value, col.currency),
    late: overdue > 0 ? fill(w.late, { n: countText(overdue) }) : '',
    conversion: converts ? fill(w.conversion, { p: percent(col.conversion), next: col.nextName }) : '',
  };
}

/** "+12 more" */
export function moreText(n) {
  return fill(R.words.more, { n: countText(n) });
}
