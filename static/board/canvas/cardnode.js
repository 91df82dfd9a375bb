// One lead card on the canvas: name, company, score, value, owner, days in
// stage with its aging ring, campaign colour edge, and sales' verdict (a tick
// or a cross) once there is one. Text is ellipsized with measured widths, so
// nothing overlaps or is cut.
//
// A card in the handoff lane is taller: under the card, Accept and Reject
// buttons (``.handoff-action`` nodes with ``leadId`` and ``verdict``) for
// those who may judge it, or a note that it waits for sales.

import { Konva, Rect, plainText as text, Circle, Arc } from './konva.js';
import { M, LANE } from './layout.js';
import { COLORS, font, teamColor } from './theme.js';
import { ellipsize } from './text.js';
import { money, shortName, daysLabel } from '../core/format.js';
import { VERDICT_WORDS, ringWords } from '../core/marks.js';

const NAME = { size: 14, weight: 600 };
const BODY = { size: 12.5, weight: 400 };
const META = { size: 12.5, weight: 600 };
const SCORE = { size: 12, weight: 700 };

function scoreColors(score) {
  if (score >= 70) return [COLORS.scoreHigh, COLORS.scoreHighInk];
  if (score >= 40) return [COLORS.scoreMid, COLORS.scoreMidInk];
  return [COLORS.scoreLow, COLORS.scoreLowInk];
}

/** A signature of what the card shows: the node is rebuilt only when it changes. */
export function cardSignature(card, width, info) {
  const lane = info.lane ? (info.lane.canJudge ? 'judge' : 'wait') : '';
  return [card.version, card.name, card.company, card.score, card.value, info.currency, width, info.ownerName, info.campaignColor, info.aging.days, info.aging.overdue, info.aging.sla, info.accent, card.verdict, info.returned ? 'returned' : '', lane].join('|');
}

const VERDICT_MARKS = { accepted: '✓', rejected: '✗' };

/**
 * info: {ownerName, campaignColor, currency (the board's), aging: {days, sla, overdue, used}, accent (team colour), draggable,
 *        lane: null | {canJudge} (the card waits in the handoff lane)}
 * measure(text, fontString) -> width
 */
export function makeCardNode(card, width, info, measure) {
  const h = info.lane ? LANE.cardH : M.cardH;
  const group = new Konva.Group({ name: 'card', draggable: !!info.draggable, leadId: card.id });
  const overdue = info.aging.overdue;

  group.add(new Rect({ x: 0, y: 1.5, width, height: h, cornerRadius: 9, fill: COLORS.cardShadow, listening: false, perfectDrawEnabled: false }));
  group.add(
    new Rect({
      name: 'card-bg',
      width,
      height: h,
      cornerRadius: 9,
      fill: COLORS.card,
      stroke: overdue ? COLORS.aging : COLORS.cardLine,
      strokeWidth: overdue ? 1.5 : 1,
      perfectDrawEnabled: false,
      shadowForStrokeEnabled: false,
    }),
  );
  // Campaign colour edge.
  group.add(new Rect({ x: 0, y: 0, width: 5, height: h, cornerRadius: [9, 0, 0, 9], fill: info.campaignColor || COLORS.noCampaign, listening: false }));

  const left = 16;
  const right = width - 12;

  // Score pill, top right.
  const scoreText = String(card.score);
  const scoreW = Math.max(28, Math.ceil(measure(scoreText, font(SCORE.size, SCORE.weight)) + 14));
  const [pill, pillInk] = scoreColors(card.score);
  group.add(new Rect({ x: right - scoreW, y: 10, width: scoreW, height: 20, cornerRadius: 10, fill: pill, listening: false }));
  group.add(text({ x: right - scoreW, y: 14, width: scoreW, align: 'center', text: scoreText, fontSize: SCORE.size, fontStyle: String(SCORE.weight), fill: pillInk }));

  // Sales' verdict, left of the score: a tick (accepted) or a cross (rejected).
  let markW = 0;
  const mark = VERDICT_MARKS[card.verdict];
  if (mark) {
    markW = 24;
    const accepted = card.verdict === 'accepted';
    const cx = right - scoreW - 14;
    // Listening, for its tooltip (view.js shows a node's ``markTip`` on hover).
    group.add(new Circle({ name: 'card-mark verdict-mark', x: cx, y: 20, radius: 9, fill: accepted ? teamColor('sales') : COLORS.scoreLow, markTip: VERDICT_WORDS[card.verdict] }));
    group.add(text({ x: cx - 9, y: 14, width: 18, align: 'center', text: mark, fontSize: 11.5, fontStyle: '700', fill: accepted ? '#ffffff' : COLORS.scoreLowInk }));
  }

  // Name and company.
  const nameFont = font(NAME.size, NAME.weight);
  const nameW = right - scoreW - markW - 8 - left;
  group.add(text({ x: left, y: 12, text: ellipsize(card.name, nameW, (t) => measure(t, nameFont)), fontSize: NAME.size, fontStyle: String(NAME.weight), fill: COLORS.ink }));
  const bodyFont = font(BODY.size, BODY.weight);
  const company = card.company || card.email || '';
  let badgeW = 0;
  if (info.returned) {
    // Marketing's cue that sales sent this lead back (core/model.js returnedBySales).
    const label = 'Returned by sales';
    const badgeFont = font(10.5, 600);
    badgeW = measure(label, badgeFont) + 12;
    group.add(new Rect({ x: right - badgeW, y: 31, width: badgeW, height: 17, cornerRadius: 8, fill: COLORS.scoreLow, name: 'returned-badge', listening: false }));
    group.add(text({ x: right - badgeW, y: 34, width: badgeW, align: 'center', text: label, fontSize: 10.5, fontStyle: '600', fill: COLORS.scoreLowInk }));
    badgeW += 6;
  }
  group.add(text({ x: left, y: 33, text: ellipsize(company, right - left - badgeW, (t) => measure(t, bodyFont)), fontSize: BODY.size, fill: COLORS.muted }));

  // Bottom row: value · owner ........ days (and the aging ring where the stage has an SLA)
  const y3 = 56;
  const ringR = 6.5;
  const hasRing = info.aging.sla != null;
  const ringX = right - ringR;
  const ringY = y3 + 7;
  const days = daysLabel(info.aging.days);
  const metaFont = font(META.size, META.weight);
  const daysW = measure(days, metaFont);
  const daysX = hasRing ? ringX - ringR - 6 - daysW : right - daysW;
  group.add(text({ x: daysX, y: y3, text: days, fontSize: META.size, fontStyle: String(META.weight), fill: overdue ? COLORS.aging : COLORS.muted }));
  if (hasRing) {
    group.add(new Circle({ name: 'card-mark aging-ring', x: ringX, y: ringY, radius: ringR + 2, fill: 'rgba(0,0,0,0)', markTip: ringWords(info.aging), perfectDrawEnabled: false }));
    group.add(new Circle({ x: ringX, y: ringY, radius: ringR, stroke: overdue ? COLORS.agingSoft : COLORS.ring, strokeWidth: 2.5, listening: false, perfectDrawEnabled: false }));
  }
  if (hasRing && info.aging.used > 0) {
    group.add(
      new Arc({
        x: ringX,
        y: ringY,
        innerRadius: ringR - 1.25,
        outerRadius: ringR + 1.25,
        angle: Math.max(8, info.aging.used * 360),
        rotation: -90,
        fill: overdue ? COLORS.aging : info.accent || COLORS.faint,
        listening: false,
        perfectDrawEnabled: false,
      }),
    );
  }

  const valueText = money(card.value, info.currency);
  const valueW = measure(valueText, metaFont);
  group.add(text({ x: left, y: y3, text: valueText, fontSize: META.size, fontStyle: String(META.weight), fill: COLORS.body }));
  const owner = info.ownerName ? `·  ${shortName(info.ownerName)}` : '';
  if (owner) {
    const ownerX = left + valueW + 7;
    const room = daysX - 10 - ownerX;
    group.add(text({ x: ownerX, y: y3, text: ellipsize(owner, room, (t) => measure(t, bodyFont)), fontSize: BODY.size, fill: COLORS.muted }));
  }
  if (info.lane) addLaneRow(group, card, width, info.lane, measure);
  return group;
}

/** The handoff lane's row under a waiting card: Accept / Reject, or who it waits for. */
function addLaneRow(group, card, width, lane, measure) {
  const y = M.cardH;
  const left = 12;
  const right = width - 10;
  const sales = teamColor('sales');
  group.add(new Rect({ x: left, y: y - 3, width: right - left, height: 1, fill: COLORS.cardLine, listening: false }));
  if (!lane.canJudge) {
    const note = 'Waiting for sales to accept or reject';
    const noteFont = font(12.5, 500);
    group.add(text({ x: left + 2, y: y + 9, text: ellipsize(note, right - left - 4, (t) => measure(t, noteFont)), fontSize: 12.5, fontStyle: '500', fill: sales }));
    return;
  }
  const gap = 8;
  const w = (right - left - gap) / 2;
  const buttons = [
    { verdict: 'accepted', label: '✓ Accept', x: left, fill: sales, ink: '#ffffff', line: sales },
    { verdict: 'rejected', label: '✗ Reject', x: left + w + gap, fill: COLORS.card, ink: COLORS.body, line: COLORS.cardLine },
  ];
  for (const b of buttons) {
    const button = new Konva.Group({ x: b.x, y: y + 2, name: 'handoff-action', leadId: card.id, verdict: b.verdict });
    button.add(new Rect({ name: 'handoff-action-bg', width: w, height: LANE.actionsH, cornerRadius: 7, fill: b.fill, stroke: b.line, strokeWidth: 1, perfectDrawEnabled: false }));
    button.add(text({ x: 0, y: 7.5, width: w, align: 'center', text: b.label, fontSize: 13, fontStyle: '700', fill: b.ink }));
    group.add(button);
  }
}
