// One stage column on the canvas: header (name, team strip, count and value,
// conversion to the next stage), campaign chips, and a scrolling, virtualized
// list of cards (only the cards in view have nodes).
//
// The first sales stage's list starts with the handoff lane (see model.js):
// a header, the waiting cards with their Accept / Reject buttons, a divider.
// A click on one of those buttons is announced to the page as a DOM event,
// ``HANDOFF_EVENT`` on the canvas container with ``detail: {lead, verdict}``
// (handoff.js opens its form); the canvas itself never writes.

import { Konva, Rect, plainText as text, Circle, Arrow } from './konva.js';
import { M, LANE, COST_FLAG, cardTop, listLayout } from './layout.js';
import { COLORS, TEAM_LABELS, font, teamColor, typeSize, wipColors } from './theme.js';
import { ellipsize } from './text.js';
import { money, count as countText, percent } from '../core/format.js';
import { makeCardNode, cardSignature } from './cardnode.js';
import { awaitsVerdict } from '../core/reducer.js';

export const HANDOFF_EVENT = 'funnelboard:handoff';

/** A header the owner drags: Konva reports the drag (view.js follows the pointer
 * with a ghost), the header itself stays where it is drawn. */
function handleProps(setUp) {
  if (!setUp) return {};
  return {
    draggable: true,
    dragBoundFunc() {
      return this.getAbsolutePosition();
    },
  };
}

export class ColumnView {
  constructor(layer, stageId, hooks) {
    this.id = stageId;
    this.hooks = hooks; // {measure, chipMeasure, cardInfo(id), canEdit, canSetUp(), canAdd(), hidden(id)}
    this.group = new Konva.Group({ name: 'column', stageId });
    this.bg = new Rect({ name: 'pan-surface column-bg', fill: COLORS.column, stroke: COLORS.columnLine, strokeWidth: 1, cornerRadius: 12, perfectDrawEnabled: false });
    this.strip = new Rect({ listening: false, cornerRadius: [12, 12, 0, 0] });
    this.header = new Konva.Group();
    this.chips = new Konva.Group();
    this.list = new Konva.Group();
    this.cards = new Konva.Group();
    this.laneDeco = new Konva.Group({ listening: false }); // the lane's header, note, divider
    this.footer = new Konva.Group({ listening: false });
    this.scrollbar = new Rect({ width: 4, cornerRadius: 2, fill: COLORS.scrollbar, listening: false });
    this.list.add(this.laneDeco, this.cards, this.footer);
    this.group.add(this.bg, this.strip, this.header, this.chips, this.list, this.scrollbar);
    layer.add(this.group);
    this.nodes = new Map(); // lead id -> {node, sig}
    this.chipNodes = new Map(); // campaign id -> node
    this.headerSig = '';
    this.chipsSig = '';
    this.scroll = 0;
    this.rects = new Map(); // lead id -> world rect of drawn cards
    this.layout = listLayout(0, false);
    this.laneSig = '';
  }

  destroy() {
    this.group.destroy();
  }

  /** geo: {x, width, folded}; box: {top, height} of the list; chipLayout from layout.chipsLayout. */
  update(col, geo, box, worldH, chipLayout, skip) {
    this.col = col;
    this.geo = geo;
    this.box = box;
    const h = worldH - M.padTop - M.padBottom;
    this.group.position({ x: geo.x, y: 0 });
    this.bg.setAttrs({ x: 0, y: M.padTop, width: geo.width, height: h });
    this.strip.setAttrs({ x: 0, y: M.padTop, width: geo.width, height: 5, fill: col.color || teamColor(col.team) });
    this.drawHeader(col, geo);
    if (geo.folded) {
      this.chips.destroyChildren();
      this.chipNodes.clear();
      this.chipsSig = '';
      this.clearCards();
      this.footer.destroyChildren();
      this.laneDeco.destroyChildren();
      this.laneSig = '';
      this.scrollbar.visible(false);
      return;
    }
    this.drawChips(col, geo, chipLayout);
    this.drawCards(col, geo, box, skip);
  }

  drawHeader(col, geo) {
    const setUp = this.hooks.canSetUp();
    const add = !!(this.hooks.canAdd && this.hooks.canAdd());
    const sig = [col.name, col.count, col.value, col.currency, col.conversion, col.medianAgeDays, col.nextName, col.folded, geo.width, col.team, col.kind, col.wip_limit, col.overdue, col.sort, col.sortable, setUp, add].join('|');
    if (sig === this.headerSig) return;
    this.headerSig = sig;
    const g = this.header;
    g.destroyChildren();
    const measure = this.hooks.measure;
    const y0 = M.padTop;
    if (geo.folded) {
      this.drawFolded(col, geo, setUp);
      return;
    }
    const foldable = col.kind !== 'open';
    const left = 16;
    const right = geo.width - 14;
    // Team tag (or the fold control for Won / Lost) on the right of the name.
    let tagW = 0;
    if (foldable) {
      tagW = 28;
      g.add(this.foldButton(right - 24, y0 + 15, '◂', `Fold ${col.name}`));
    } else {
      const label = TEAM_LABELS[col.team] || col.team;
      const tagFont = font(11, 700);
      tagW = Math.ceil(measure(label.toUpperCase(), tagFont) + 16);
      g.add(new Rect({ x: right - tagW, y: y0 + 16, width: tagW, height: 20, cornerRadius: 10, fill: teamColor(col.team), opacity: 0.12, listening: false }));
      g.add(text({ x: right - tagW, y: y0 + 20.5, width: tagW, align: 'center', text: label.toUpperCase(), fontSize: 11, fontStyle: '700', letterSpacing: 0.4, fill: teamColor(col.team) }));
    }
    const nameFont = font(17, 700);
    // The owner drags a column by its header (view.js) and opens its menu (⋯).
    const hit = new Rect({ name: setUp ? 'column-handle header-hit' : 'pan-surface header-hit', x: 0, y: y0 + 6, width: geo.width - (foldable ? 44 : 0), height: M.headerH - 8, fill: 'rgba(0,0,0,0)', stageId: col.id, ...handleProps(setUp) });
    g.add(hit);
    const menuW = setUp ? 30 : 0;
    if (setUp) g.add(this.menuButton(right - tagW - menuW, y0 + 14, col));
    // Editors add a lead to the column with "+" (panels/drawer.js: the quick-add form).
    const addW = add ? 30 : 0;
    if (add) g.add(this.addButton(right - tagW - menuW - addW, y0 + 14, col));
    // Everyone sorts a column their own way (panels/cardsort.js), on the live board.
    const sortW = col.sortable ? 30 : 0;
    if (col.sortable) g.add(this.sortButton(right - tagW - menuW - addW - sortW, y0 + 14, col));
    g.add(text({ x: left, y: y0 + 17, text: ellipsize(col.name, right - tagW - menuW - addW - sortW - 10 - left, (t) => measure(t, nameFont)), fontSize: 17, fontStyle: '700', fill: COLORS.ink }));

    // "412 leads · $1.2M", or with a WIP limit "7 / 3 leads · $1.2M" (amber at the
    // limit, red past it); on the right, the leads past the stage's SLA. With filters
    // on, both count the leads shown, as the header's count does.
    const countFont = font(15, 700);
    const n = col.wip_limit != null ? `${countText(col.count)} / ${countText(col.wip_limit)}` : countText(col.count);
    const nW = measure(n, countFont);
    const wip = wipColors(col.wip);
    if (wip.fill) g.add(new Rect({ name: 'wip-pill', x: left - 6, y: y0 + 41, width: nW + 12, height: 23, cornerRadius: 11.5, fill: wip.fill, listening: false }));
    g.add(text({ name: 'wip-count', x: left, y: y0 + 45, text: n, fontSize: 15, fontStyle: '700', fill: wip.ink }));
    g.add(text({ x: left + nW + (wip.fill ? 10 : 4), y: y0 + 45, text: col.count === 1 ? 'lead' : 'leads', fontSize: 14, fill: COLORS.muted }));
    const wordW = measure(col.count === 1 ? 'lead' : 'leads', font(14));
    const dotX = left + nW + (wip.fill ? 10 : 4) + wordW + 8;
    g.add(text({ x: dotX, y: y0 + 45, text: '·', fontSize: 15, fill: COLORS.faint }));
    const valueText = money(col.value, col.currency);
    g.add(text({ x: dotX + 12, y: y0 + 45, text: valueText, fontSize: 15, fontStyle: '600', fill: COLORS.body }));
    if (col.overdue > 0) {
      // "12 overdue" in the SLA colour; a click shows only the overdue leads (view.js).
      const lateFont = font(12.5, 700);
      const room = right - (dotX + 12 + measure(valueText, font(15, 600)) + 10);
      const n = countText(col.overdue);
      const late = [`${n} overdue`, `${n} late`, `⏱${n}`].find((t) => measure(t, lateFont) <= room);
      if (late) {
        const lateW = measure(late, lateFont);
        const button = new Konva.Group({ x: right - lateW, y: y0 + 43, name: 'overdue-filter', stageId: col.id, ariaLabel: `${n} overdue in ${col.name}: show only the overdue leads` });
        button.add(new Rect({ x: -4, y: 0, width: lateW + 8, height: 20, fill: 'rgba(0,0,0,0)' }));
        button.add(text({ name: 'overdue', x: 0, y: 4, text: late, fontSize: 12.5, fontStyle: '700', fill: COLORS.aging, textDecoration: 'underline' }));
        g.add(button);
      }
    }

    // Conversion to the next stage: "41%  ──────►"
    if (col.conversion != null) {
      const p = percent(col.conversion);
      const pFont = font(13, 700);
      const pW = measure(p, pFont);
      const y = y0 + 70;
      g.add(text({ x: left, y, text: p, fontSize: 13, fontStyle: '700', fill: COLORS.body }));
      const toText = col.nextName ? `to ${col.nextName}` : '';
      const toFont = font(12.5);
      const toW = toText ? measure(toText, toFont) : 0;
      const arrowStart = left + pW + 8;
      const arrowEnd = Math.max(arrowStart + 24, right - (toW ? toW + 10 : 0));
      g.add(new Arrow({ points: [arrowStart, y + 7.5, arrowEnd, y + 7.5], stroke: COLORS.faint, fill: COLORS.faint, strokeWidth: 1.5, pointerLength: 6, pointerWidth: 7, listening: false }));
      if (toText && arrowEnd + 10 + toW <= right + 1) {
        g.add(text({ x: arrowEnd + 10, y: y + 1, text: toText, fontSize: 12.5, fill: COLORS.muted }));
      }
    }
  }

  drawFolded(col, geo, setUp) {
    const g = this.header;
    const y0 = M.padTop;
    g.add(new Rect({ name: setUp ? 'column-handle header-hit' : 'pan-surface header-hit', x: 0, y: y0 + 6, width: geo.width, height: 40, fill: 'rgba(0,0,0,0)', stageId: col.id, ...handleProps(setUp) }));
    g.add(this.foldButton(geo.width / 2 - 12, y0 + 15, '▸', `Unfold ${col.name}`));
    const top = setUp ? 30 : 0;
    if (setUp) g.add(this.menuButton(geo.width / 2 - 12, y0 + 44, col));
    // The totals read across (count, then value), each at the largest size that fits
    // the narrow column; the name reads downwards under them.
    const measure = this.hooks.measure;
    const room = geo.width - 6;
    const ink = col.wip === 'over' || col.wip === 'at' ? wipColors(col.wip).ink : COLORS.ink;
    const limit = col.wip_limit != null ? `/${countText(col.wip_limit)}` : '';
    let y = y0 + 48 + top;
    for (const [line, weight, name] of [[`${countText(col.count)}${limit}`, 700, 'folded-count'], [money(col.value, col.currency), 600, 'folded-value']]) {
      const size = [15, 14, 13, 12, 11, 10].find((px) => measure(line, font(px, weight)) <= room) || 10;
      g.add(text({ name, x: 0, y, width: geo.width, align: 'center', text: line, fontSize: size, fontStyle: String(weight), fill: name === 'folded-count' ? ink : COLORS.body }));
      y += typeSize(size) + 6;
    }
    g.add(text({ x: geo.width / 2 + 8, y: y + 6, rotation: 90, text: col.name, fontSize: 15, fontStyle: '700', fill: COLORS.body }));
  }

  /** The stage's menu (owners): a click is the page's (stages.js), not the canvas's. */
  menuButton(x, y, col) {
    const b = new Konva.Group({ x, y, name: 'stage-menu', stageId: col.id, ariaLabel: `${col.name}: stage menu` });
    b.add(new Rect({ width: 24, height: 24, cornerRadius: 6, fill: COLORS.control, name: 'stage-menu-bg' }));
    b.add(text({ x: 0, y: 3, width: 24, align: 'center', text: '⋯', fontSize: 15, fontStyle: '700', fill: COLORS.body }));
    return b;
  }

  /** "⇅": how this person sorts the column; filled while it is not board order. */
  sortButton(x, y, col) {
    const sorted = col.sort && col.sort !== 'position';
    const b = new Konva.Group({ x, y, name: 'card-sort', stageId: col.id, sort: col.sort, ariaLabel: `Sort ${col.name}` });
    b.add(new Rect({ width: 24, height: 24, cornerRadius: 6, fill: sorted ? COLORS.accent : COLORS.control, name: 'card-sort-bg' }));
    b.add(text({ x: 0, y: 4, width: 24, align: 'center', text: '⇅', fontSize: 14, fontStyle: '700', fill: sorted ? COLORS.inverse : COLORS.body }));
    return b;
  }

  /** "+": add a lead to this column (a click is the page's, panels/drawer.js). */
  addButton(x, y, col) {
    const b = new Konva.Group({ x, y, name: 'quick-add', stageId: col.id, ariaLabel: `Add a lead to ${col.name}` });
    b.add(new Rect({ width: 24, height: 24, cornerRadius: 6, fill: COLORS.control, name: 'quick-add-bg' }));
    b.add(text({ x: 0, y: 2, width: 24, align: 'center', text: '+', fontSize: 18, fontStyle: '700', fill: COLORS.body }));
    return b;
  }

  foldButton(x, y, glyph, label) {
    const b = new Konva.Group({ x, y, name: 'fold', stageId: this.id, ariaLabel: label });
    b.add(new Rect({ width: 24, height: 24, cornerRadius: 6, fill: COLORS.control, name: 'fold-bg' }));
    b.add(text({ x: 0, y: 4, width: 24, align: 'center', text: glyph, fontSize: 14, fill: COLORS.body }));
    return b;
  }

  drawChips(col, geo, chipLayout) {
    const sig = JSON.stringify([chipLayout.chips.map((c) => [c.chip.id, c.label, c.countText, c.chip.color, c.x, c.y, c.flagW]), chipLayout.more && chipLayout.more.label]);
    if (sig === this.chipsSig) return;
    this.chipsSig = sig;
    this.chips.destroyChildren();
    this.chipNodes.clear();
    this.chips.position({ x: M.colPad, y: M.padTop + M.headerH + M.chipGap });
    for (const c of chipLayout.chips) {
      const g = new Konva.Group({ x: c.x, y: c.y, name: 'chip', draggable: this.hooks.canEdit, campaignId: c.chip.id, stageId: col.id });
      g.add(new Rect({ name: 'chip-bg', width: c.w, height: M.chipH, cornerRadius: M.chipH / 2, fill: COLORS.chip, stroke: COLORS.chipLine, strokeWidth: 1, perfectDrawEnabled: false }));
      g.add(new Circle({ x: 13, y: M.chipH / 2, radius: 4.5, fill: c.chip.color, listening: false }));
      g.add(text({ x: 23, y: 7, text: c.label, fontSize: 12, fontStyle: '500', fill: COLORS.body }));
      const nameW = this.hooks.chipMeasure(c.label, 'name');
      g.add(text({ x: 23 + nameW + 6, y: 7, text: c.countText, fontSize: 12, fontStyle: '700', fill: COLORS.ink }));
      if (c.flagW) {
        // Cost missing: cost per SQL and per Won are unknown until someone enters it.
        const x = c.w - 9 - c.flagW;
        g.add(new Rect({ name: 'chip-flag', x, y: 5, width: c.flagW, height: M.chipH - 10, cornerRadius: (M.chipH - 10) / 2, fill: COLORS.costMissingSoft, listening: false }));
        g.add(text({ x, y: 7, width: c.flagW, align: 'center', text: COST_FLAG, fontSize: 11, fontStyle: '700', fill: COLORS.costMissing }));
      }
      this.chips.add(g);
      this.chipNodes.set(c.chip.id, g);
    }
    if (chipLayout.more) {
      const m = chipLayout.more;
      const g = new Konva.Group({ x: m.x, y: m.y, name: 'chip-more', stageId: col.id });
      g.add(new Rect({ width: m.w, height: M.chipH, cornerRadius: M.chipH / 2, fill: COLORS.chipMore }));
      g.add(text({ x: 0, y: 7, width: m.w, align: 'center', text: m.label, fontSize: 12, fontStyle: '600', fill: COLORS.muted }));
      this.chips.add(g);
    }
  }

  clearCards() {
    for (const { node } of this.nodes.values()) node.destroy();
    this.nodes.clear();
    this.rects.clear();
  }

  /** skip: lead id being dragged (leaves its gap). */
  drawCards(col, geo, box, skip) {
    const n = col.ids.length;
    const layout = listLayout(n, col.hasMore, col.handoff ? { n: col.lane, more: col.handoff.count > col.lane } : null);
    this.layout = layout;
    this.scroll = layout.clampScroll(this.scroll, box.height);
    this.list.clip({ x: 0, y: box.top, width: geo.width, height: box.height });
    this.cards.position({ x: M.colPad, y: box.top - this.scroll });
    this.laneDeco.position({ x: M.colPad, y: box.top - this.scroll });
    const width = geo.width - 2 * M.colPad;
    this.drawLane(col, width, layout);
    const [first, end] = layout.visible(this.scroll, box.height);
    const keep = new Set();
    this.rects.clear();
    for (let i = first; i < end; i++) {
      const id = col.ids[i];
      if (id === skip) continue;
      let info = this.hooks.cardInfo(id);
      if (!info) continue;
      if (i < layout.lane) info = { ...info, lane: { canJudge: col.handoff.canJudge } };
      keep.add(id);
      const sig = cardSignature(info.card, width, info);
      let entry = this.nodes.get(id);
      if (entry && entry.sig !== sig) {
        entry.node.destroy();
        entry = null;
      }
      if (!entry) {
        const node = makeCardNode(info.card, width, info, this.hooks.measure);
        if (info.lane) this.wireLaneButtons(node);
        this.cards.add(node);
        entry = { node, sig };
        this.nodes.set(id, entry);
      }
      const y = layout.top(i);
      entry.node.position({ x: 0, y });
      entry.node.draggable(!!info.draggable);
      entry.node.opacity(this.hooks.hidden(id) ? 0 : 1);
      this.rects.set(id, { x: geo.x + M.colPad, y: box.top - this.scroll + y, width, height: layout.height(i), index: i });
    }
    for (const [id, entry] of this.nodes) {
      if (!keep.has(id)) {
        entry.node.destroy();
        this.nodes.delete(id);
      }
    }
    // Footer: "more below" or an empty column's note.
    this.footer.destroyChildren();
    const rest = n - layout.lane;
    if (col.hasMore) {
      const y = box.top - this.scroll + layout.offset + cardTop(rest) + 8;
      this.footer.add(text({ x: 0, y, width: geo.width, align: 'center', text: col.loading ? 'Loading more…' : `Showing ${countText(n)} of ${countText(col.count)} · scroll for more`, fontSize: 12.5, fill: COLORS.muted }));
    } else if (rest === 0 && (n === 0 || !col.handoff)) {
      const y = box.top - this.scroll + layout.offset + 28;
      this.footer.add(text({ x: 0, y, width: geo.width, align: 'center', text: col.filtered ? 'No matching leads' : 'No leads here', fontSize: 13, fill: COLORS.faint }));
    }
    // Scrollbar.
    const content = layout.content;
    if (content > box.height + 1) {
      const thumb = Math.max(28, (box.height * box.height) / content);
      const max = content - box.height;
      this.scrollbar.setAttrs({ visible: true, x: geo.width - 6, y: box.top + 2 + (this.scroll / max) * (box.height - thumb - 4), height: thumb });
    } else {
      this.scrollbar.visible(false);
    }
  }

  /** The handoff lane's header ("HANDOFF · 3 waiting"), its "more" note and the
   * divider above the stage's other cards; nothing in other columns. */
  drawLane(col, width, layout) {
    const hand = col.handoff;
    const sig = hand ? [width, layout.lane, hand.count, hand.canJudge, layout.offset, col.filtered].join('|') : '';
    if (sig === this.laneSig) return;
    this.laneSig = sig;
    const g = this.laneDeco;
    g.destroyChildren();
    if (!hand) return;
    const sales = teamColor('sales');
    const y = M.listInset;
    const tag = 'HANDOFF';
    const tagW = Math.ceil(this.hooks.measure(tag, font(11, 700)) + 16);
    g.add(new Rect({ x: 0, y: y + 4, width: tagW, height: 20, cornerRadius: 10, fill: sales, opacity: 0.14 }));
    g.add(text({ x: 0, y: y + 8.5, width: tagW, align: 'center', text: tag, fontSize: 11, fontStyle: '700', letterSpacing: 0.4, fill: sales }));
    const words = hand.count ? `${countText(hand.count)} waiting for sales` : col.filtered ? 'No matching lead waits' : 'Nothing waiting for sales';
    const wordsFont = font(13, 600);
    g.add(text({ x: tagW + 8, y: y + 7.5, text: ellipsize(words, width - tagW - 8, (t) => this.hooks.measure(t, wordsFont)), fontSize: 13, fontStyle: '600', fill: hand.count ? COLORS.body : COLORS.faint }));
    const lanePitch = LANE.cardH + M.cardGap;
    const laneEnd = y + LANE.headH + (layout.lane ? layout.lane * lanePitch - M.cardGap : 0);
    if (hand.count > layout.lane) {
      const note = `Showing the ${countText(layout.lane)} waiting longest of ${countText(hand.count)}`;
      g.add(text({ x: 0, y: laneEnd + 6, width, align: 'center', text: note, fontSize: 12, fill: COLORS.muted }));
    }
    g.add(new Rect({ x: 0, y: layout.offset - LANE.footH / 2, width, height: 2, cornerRadius: 1, fill: sales, opacity: 0.35 }));
  }

  /** A click on Accept / Reject: tell the page (handoff.js), not the board's click. */
  wireLaneButtons(node) {
    for (const button of node.find('.handoff-action')) {
      button.on('click tap', (e) => {
        e.cancelBubble = true;
        const stage = this.group.getStage();
        if (!stage) return;
        const detail = { lead: button.getAttr('leadId'), verdict: button.getAttr('verdict') };
        stage.container().dispatchEvent(new CustomEvent(HANDOFF_EVENT, { bubbles: true, detail }));
      });
      button.on('mouseover', (e) => {
        e.cancelBubble = true;
        const stage = this.group.getStage();
        if (stage) stage.container().style.cursor = 'pointer';
      });
    }
  }

  // The list's geometry, for the view (scrolling, drops, keyboard reveal).

  clampScroll(scroll, viewH) {
    return this.layout.clampScroll(scroll, viewH);
  }

  nearEnd(viewH) {
    return this.layout.nearEnd(this.scroll, viewH);
  }

  /**
   * Where a card dragged over this list at world ``worldY`` would land: ``slot``
   * (an index among the drawn cards) and the world y of the drop marker, or
   * ``markerY: null`` when no marker shows (a lane card over its own lane: no
   * move; a waiting card dropped here joins the lane wherever it is dropped).
   */
  dropSlot(worldY, leadId) {
    const layout = this.layout;
    const col = this.col;
    const top = this.box.top - this.scroll;
    const own = col.ids.indexOf(leadId);
    if (own >= 0 && own < layout.lane) return { slot: own, markerY: null };
    const info = col.handoff ? this.hooks.cardInfo(leadId) : null;
    // A card from another stage enters this one now: it waits for sales' verdict.
    const waits = info && (info.card.stage !== col.id || awaitsVerdict(info.card));
    if (waits) return { slot: layout.lane, markerY: top + M.listInset - 2 };
    const slot = layout.dropIndex(worldY - top);
    return { slot, markerY: top + layout.markerY(slot) };
  }

  /** Scroll so that the card shows whole; false when it is not in this column. */
  reveal(leadId, viewH) {
    const index = this.col ? this.col.ids.indexOf(leadId) : -1;
    if (index < 0) return false;
    this.scroll = this.layout.scrollToShow(index, this.scroll, viewH);
    return true;
  }

  /** World rect of the list area. */
  listRect() {
    return { x: this.geo.x, y: this.box.top, width: this.geo.width, height: this.box.height };
  }
}
