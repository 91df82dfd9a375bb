// The board canvas (Konva): columns side by side, zoom (wheel, ctrl+wheel,
// buttons), pan (drag the background), per-column scrolling, drag and drop of
// cards and campaign chips, the keyboard focus ring, and the animation of
// moves made by others.
//
// Layers: `board` holds the columns (redrawn on changes only); `drag` holds
// the node being dragged and the drop marker, so a drag redraws one small
// layer per frame; `fx` holds animations, labels and the focus ring.

import { Konva, Rect, Label, Tag, Text } from './konva.js';
import {
  M, columnsLayout, columnAt, listBox, clampZoom, zoomAround, clampPan, fitZoom, chipsLayout,
  openingZoom, columnStops, snapPan,
} from './layout.js';
import { attachTouch } from './touch.js';
import { ColumnView } from './column.js';
import { COLORS, FONT_FAMILY, font } from './theme.js';
import { rectFrom, lassoed } from '../core/selection.js';
import { headerTipText } from './glance.js';

const MOVE_MS = 400;

/**
 * hooks: {
 *   canEdit, canSetUp (may the stages be changed: the owner, on the live board), measure(text, font),
 *   cardInfo(leadId) -> {card, ownerName, campaignColor, aging, accent, draggable} | null,
 *   dropCard(leadId, fromStage, toStage, index), dropChip(campaignId, fromStage, toStage),
 *   dropColumn(stageId, index) (a column dragged by its header to ``index`` among the others),
 *   stageMenu(stageId, pageRect) (its header's ⋯ button),
 *   toggleFold(stageId), needMore(stageId), select(leadId), dragState(active),
 *   openCard(leadId) (a plain click on a card), quickAdd(stageId, pageRect) (a header's "+"),
 *   tooltip(text | null, clientX, clientY),
 *   chipMenu(campaignId, stageId, {x, y, width}) (a click or right click on a chip; at
 *   its bottom left, page CSS pixels), chipTip(campaignId, stageId) -> text | null (hover),
 *   chipList(stageId, rect) ("+N" clicked: the column's campaign list; page CSS pixels),
 *   many at once (optional): toggleSelect(leadId) (Shift/Ctrl/Cmd-click), lassoSelect(ids)
 *   (Shift-drag on the background), clearSelection() (a plain click on the background),
 *   dropSelection(ids, toStage, index) (a selected card dragged: the whole selection),
 *   cardMenu(leadId, {x, y}) (right click on a card, page CSS pixels)
 * }
 */
export function createView(container, hooks) {
  Konva.dragDistance = 3; // a click on a card selects it; a drag needs a little travel
  const stage = new Konva.Stage({ container, width: container.clientWidth || 800, height: container.clientHeight || 600 });
  const boardLayer = new Konva.Layer();
  const dragLayer = new Konva.Layer();
  const fxLayer = new Konva.Layer({ listening: false });
  stage.add(boardLayer, dragLayer, fxLayer);

  const chipMeasure = (t, kind) => hooks.measure(t, kind === 'count' ? font(12, 700) : font(12, 500));
  const columnViews = new Map();
  const hidden = new Set(); // lead ids whose card is travelling (drawn by fx)
  const focusRing = new Rect({ stroke: COLORS.focus, strokeWidth: 2.5, cornerRadius: 11, visible: false, listening: false });
  fxLayer.add(focusRing);
  const dropMarker = new Rect({ height: 4, cornerRadius: 2, fill: COLORS.drop, visible: false, listening: false });
  const dropZone = new Rect({ stroke: COLORS.drop, strokeWidth: 2.5, dash: [8, 5], cornerRadius: 12, visible: false, listening: false, fill: 'rgba(79,70,229,0.06)' });
  const columnMarker = new Rect({ width: 4, cornerRadius: 2, fill: COLORS.drop, visible: false, listening: false });
  dragLayer.add(dropZone, dropMarker, columnMarker);

  let zoom = 1;
  let pan = 0;
  let model = null;
  let geoms = [];
  let boardW = 0;
  let worldH = stage.height();
  let box = { top: 0, height: 0 };
  let selection = null;
  // Many at once: the selected cards' rings, and the lasso being drawn.
  let multi = new Set();
  const multiRings = [];
  const lassoRect = new Rect({ stroke: COLORS.focus, strokeWidth: 1.5, dash: [6, 4], fill: 'rgba(37,99,235,0.08)', visible: false, listening: false });
  fxLayer.add(lassoRect);
  let lasso = null; // {x0, y0} in world coordinates
  let lassoEnded = false; // the click that ends a lasso selects nothing else
  let drag = null; // {kind, id, node, from, to, index, origin}
  let needMoreQueued = new Set();
  let exporting = null; // {width, height, whole}: render() lays out for an export, not the screen
  // Meeting mode: the board is laid out for a window ``base`` times smaller and
  // fitted at zoom ``base``, so type is ``base`` times larger yet every column shows.
  let base = 1;

  const cols = () => (model ? model.columns : []);
  const geoOf = (id) => geoms.find((g) => g.id === id);

  function render(next = model) {
    model = next;
    if (!model) return;
    const viewW = exporting ? exporting.width : stage.width();
    const viewH = exporting ? exporting.height : stage.height();
    // A whole-board export is laid out at plain type for its own size; the rest as on screen.
    const laid = columnsLayout(model.columns, exporting && exporting.whole ? viewW : viewW / base);
    geoms = laid.columns;
    boardW = laid.width;
    worldH = viewH / zoom;
    const chipLayouts = new Map();
    let rows = 0;
    for (const col of model.columns) {
      const geo = geoOf(col.id);
      if (geo.folded) continue;
      const layout = chipsLayout(col.chips, geo.width - 2 * M.colPad, chipMeasure);
      chipLayouts.set(col.id, layout);
      rows = Math.max(rows, layout.rows);
    }
    box = listBox(worldH, rows);
    const seen = new Set();
    for (const col of model.columns) {
      let view = columnViews.get(col.id);
      if (!view) {
        view = new ColumnView(boardLayer, col.id, {
          measure: hooks.measure,
          chipMeasure,
          canEdit: hooks.canEdit,
          canSetUp: () => !!hooks.canSetUp,
          canAdd: () => !!hooks.canEdit && !!hooks.quickAdd,
          cardInfo: hooks.cardInfo,
          hidden: (id) => hidden.has(id),
        });
        columnViews.set(col.id, view);
      }
      seen.add(col.id);
      view.update(col, geoOf(col.id), box, worldH, chipLayouts.get(col.id) || { chips: [], rows: 0, more: null }, drag && drag.kind === 'card' ? drag.id : null);
      if (!exporting && !geoOf(col.id).folded && col.hasMore && !col.loading && view.nearEnd(box.height)) {
        if (!needMoreQueued.has(col.id)) {
          needMoreQueued.add(col.id);
          queueMicrotask(() => {
            needMoreQueued.delete(col.id);
            hooks.needMore(col.id);
          });
        }
      }
    }
    for (const [id, view] of columnViews) {
      if (!seen.has(id)) {
        view.destroy();
        columnViews.delete(id);
      }
    }
    stage.scale({ x: zoom, y: zoom });
    pan = clampPan(pan, boardW, zoom, viewW);
    stage.position({ x: pan, y: 0 });
    drawFocus();
    boardLayer.batchDraw();
    fxLayer.batchDraw();
  }

  function cardRect(leadId) {
    for (const view of columnViews.values()) {
      const r = view.rects.get(leadId);
      if (r) return r;
    }
    return null;
  }

  function drawMulti() {
    let used = 0;
    for (const id of multi) {
      const r = cardRect(id);
      if (!r) continue;
      const top = Math.max(r.y, box.top);
      const bottom = Math.min(r.y + r.height, box.top + box.height);
      if (bottom - top < 8) continue;
      if (!multiRings[used]) {
        multiRings[used] = new Rect({ strokeWidth: 2, cornerRadius: 10, listening: false, fill: 'rgba(37,99,235,0.10)' });
        fxLayer.add(multiRings[used]);
      }
      multiRings[used].setAttrs({ visible: true, stroke: COLORS.focus, x: r.x - 2, y: top - 2, width: r.width + 4, height: bottom - top + 4 });
      used += 1;
    }
    for (let i = used; i < multiRings.length; i++) multiRings[i].visible(false);
  }

  function drawFocus() {
    drawMulti();
    const r = selection != null ? cardRect(selection) : null;
    if (!r) {
      focusRing.visible(false);
      return;
    }
    const top = Math.max(r.y, box.top);
    const bottom = Math.min(r.y + r.height, box.top + box.height);
    if (bottom - top < 8) {
      focusRing.visible(false);
      return;
    }
    focusRing.setAttrs({ visible: true, x: r.x - 3, y: top - 3, width: r.width + 6, height: bottom - top + 6 });
  }

  // World <-> page coordinates.
  function toPage(r) {
    const c = container.getBoundingClientRect();
    return { x: c.left + pan + r.x * zoom, y: c.top + r.y * zoom, width: r.width * zoom, height: r.height * zoom };
  }
  function pointerWorld() {
    const p = stage.getPointerPosition();
    if (!p) return null;
    return { x: (p.x - pan) / zoom, y: p.y / zoom, sx: p.x, sy: p.y };
  }
  function clientToWorld(clientX, clientY) {
    const c = container.getBoundingClientRect();
    return { x: (clientX - c.left - pan) / zoom, y: (clientY - c.top) / zoom, sx: clientX - c.left, sy: clientY - c.top };
  }

  // Zoom and pan.
  function setZoom(z, anchorX = stage.width() / 2) {
    const next = clampZoom(z);
    pan = zoomAround(anchorX, pan, zoom, next);
    zoom = next;
    render();
  }

  container.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const w = clientToWorld(e.clientX, e.clientY);
      const scale = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? stage.height() : 1;
      const dy = e.deltaY * scale;
      const dx = e.deltaX * scale;
      if (e.ctrlKey || e.metaKey) {
        setZoom(zoom * Math.exp(-dy * 0.002), w.sx);
        return;
      }
      if (Math.abs(dx) > Math.abs(dy) || e.shiftKey) {
        pan -= e.shiftKey && !dx ? dy : dx;
        render();
        return;
      }
      const id = columnAt(geoms, w.x);
      const geo = id != null ? geoOf(id) : null;
      if (geo && !geo.folded && w.x >= geo.x && w.x <= geo.x + geo.width && w.y >= box.top) {
        scrollColumn(id, dy / zoom);
        return;
      }
      setZoom(zoom * Math.exp(-dy * 0.0015), w.sx);
    },
    { passive: false },
  );

  function scrollColumn(stageId, delta) {
    const view = columnViews.get(stageId);
    const col = cols().find((c) => c.id === stageId);
    if (!view || !col) return;
    const next = view.clampScroll(view.scroll + delta, box.height);
    if (next === view.scroll) return;
    view.scroll = next;
    render();
  }

  let panning = null;
  stage.on('mousedown touchstart', (e) => {
    const t = e.target;
    // Shift held: a lasso from anywhere but a card, a chip or a header (the background,
    // a column's body); without Shift the background pans.
    const onThing = t !== stage && (t.findAncestor('.card', true) || t.findAncestor('.chip', true) || t.hasName('header-hit') || t.hasName('column-handle'));
    if (e.evt && e.evt.shiftKey && hooks.lassoSelect && !onThing) {
      const w = pointerWorld();
      if (w) lasso = { x0: w.x, y0: w.y };
      return;
    }
    if (t === stage || t.hasName('pan-surface')) {
      const p = stage.getPointerPosition();
      panning = { x: p ? p.x : 0, pan, moved: false };
      container.style.cursor = 'grabbing';
    }
  });
  window.addEventListener('mousemove', (e) => {
    if (lasso) {
      const w = clientToWorld(e.clientX, e.clientY);
      lassoRect.setAttrs({ visible: true, ...rectFrom(lasso.x0, lasso.y0, w.x, w.y) });
      fxLayer.batchDraw();
      return;
    }
    if (!panning) return;
    const c = container.getBoundingClientRect();
    const dx = e.clientX - c.left - panning.x;
    if (Math.abs(dx) > 2) panning.moved = true;
    pan = clampPan(panning.pan + dx, boardW, zoom, stage.width());
    stage.position({ x: pan, y: 0 });
    stage.batchDraw();
  });
  window.addEventListener('mouseup', (e) => {
    if (lasso) {
      const w = clientToWorld(e.clientX, e.clientY);
      const area = rectFrom(lasso.x0, lasso.y0, w.x, w.y);
      lasso = null;
      lassoRect.visible(false);
      fxLayer.batchDraw();
      lassoEnded = true;
      setTimeout(() => (lassoEnded = false), 0);
      // The cards drawn in view (a column's scrolled-out cards are not lassoed).
      const rects = new Map();
      for (const view of columnViews.values()) {
        for (const [id, r] of view.rects) {
          if (r.y + r.height > box.top && r.y < box.top + box.height) rects.set(id, r);
        }
      }
      if (area.width > 2 || area.height > 2) hooks.lassoSelect(lassoed(rects, area));
      return;
    }
    if (panning) {
      panning = null;
      container.style.cursor = '';
    }
  });

  /** A node's box on the page (CSS pixels). */
  function nodeRectPage(node) {
    const r = node.getClientRect();
    const c = container.getBoundingClientRect();
    return { x: c.left + r.x, y: c.top + r.y, width: r.width, height: r.height };
  }

  /** A campaign chip's menu, at the chip (page CSS pixels). */
  function openChipMenu(chip) {
    const bg = chip.findOne('.chip-bg');
    const r = bg.getClientRect();
    const c = container.getBoundingClientRect();
    hooks.tooltip(null);
    hooks.chipMenu(chip.getAttr('campaignId'), chip.getAttr('stageId'), { x: c.left + r.x, y: c.top + r.y + r.height, width: r.width });
  }

  // Clicks: select a card, fold / unfold, a chip's menu.
  stage.on('click tap', (e) => {
    if (e.type === 'tap' && touch.swallowTap()) return; // the end of a swipe or pinch
    const menu = e.target.findAncestor('.stage-menu', true);
    if (menu) {
      const r = menu.getClientRect();
      const c = container.getBoundingClientRect();
      hooks.stageMenu(menu.getAttr('stageId'), { x: c.left + r.x, y: c.top + r.y, width: r.width, height: r.height });
      return;
    }
    const fold = e.target.findAncestor('.fold', true);
    if (fold) {
      hooks.toggleFold(fold.getAttr('stageId'));
      return;
    }
    const chip = e.target.findAncestor('.chip', true);
    if (chip && hooks.chipMenu) {
      openChipMenu(chip);
      return;
    }
    const sorter = e.target.findAncestor('.card-sort', true);
    if (sorter && hooks.sortMenu) {
      hooks.sortMenu(sorter.getAttr('stageId'), nodeRectPage(sorter));
      return;
    }
    const late = e.target.findAncestor('.overdue-filter', true);
    if (late && hooks.showOverdue) {
      hooks.showOverdue(late.getAttr('stageId'));
      return;
    }
    // "+N": the column's every campaign (panels/campaignlist.js).
    const more = e.target.findAncestor('.chip-more', true);
    if (more && hooks.chipList) {
      hooks.tooltip(null);
      hooks.chipList(more.getAttr('stageId'), nodeRectPage(more));
      return;
    }
    const add = e.target.findAncestor('.quick-add', true);
    if (add && hooks.quickAdd) {
      hooks.quickAdd(add.getAttr('stageId'), nodeRectPage(add));
      return;
    }
    const card = e.target.findAncestor('.card', true);
    const modified = e.evt && (e.evt.shiftKey || e.evt.ctrlKey || e.evt.metaKey);
    if (card && modified && hooks.toggleSelect) {
      hooks.toggleSelect(card.getAttr('leadId'));
      return;
    }
    if (card) {
      hooks.select(card.getAttr('leadId'));
      // A plain click (a drag never ends in a click) opens the lead.
      const evt = e.evt || {};
      if (hooks.openCard && !evt.shiftKey && !evt.ctrlKey && !evt.metaKey) hooks.openCard(card.getAttr('leadId'));
      return;
    }
    if (lassoEnded) return;
    if (!panning || !panning.moved) {
      hooks.select(null);
      if (hooks.clearSelection) hooks.clearSelection();
    }
  });

  stage.on('contextmenu', (e) => {
    const card = e.target.findAncestor('.card', true);
    if (card && hooks.cardMenu) {
      e.evt.preventDefault();
      hooks.cardMenu(card.getAttr('leadId'), { x: e.evt.clientX, y: e.evt.clientY });
      return;
    }
    const chip = e.target.findAncestor('.chip', true);
    if (!chip || !hooks.chipMenu) return;
    e.evt.preventDefault();
    openChipMenu(chip);
  });

  // Hover: the cursor says what a drag would do; headers tell median days; a chip
  // tells its campaign (and a missing cost).
  stage.on('mouseover', (e) => {
    const t = e.target;
    const chip = t.findAncestor('.chip', true);
    if (chip && hooks.chipTip) {
      const p = stage.getPointerPosition();
      const c = container.getBoundingClientRect();
      const tip = hooks.chipTip(chip.getAttr('campaignId'), chip.getAttr('stageId'));
      if (tip && p) hooks.tooltip(tip, c.left + p.x, c.top + p.y);
    }
    // A card's mark (✓ / ✗, the aging ring) says what it means (core/marks.js).
    const markTip = t.getAttr('markTip');
    if (markTip) {
      const p = stage.getPointerPosition();
      const c = container.getBoundingClientRect();
      if (p) hooks.tooltip(markTip, c.left + p.x, c.top + p.y);
    }
    if (t.findAncestor('.card', true) || chip) {
      // A viewer's chip still opens its menu (the campaign's details).
      container.style.cursor = hooks.canEdit ? 'grab' : chip && hooks.chipMenu ? 'pointer' : 'not-allowed';
    } else if (t.findAncestor('.fold', true) || t.findAncestor('.stage-menu', true) || t.findAncestor('.quick-add', true) || t.findAncestor('.overdue-filter', true) || t.findAncestor('.card-sort', true) || t.findAncestor('.chip-more', true)) {
      container.style.cursor = 'pointer';
    } else if (t.hasName('header-hit')) {
      if (t.hasName('column-handle')) container.style.cursor = 'grab';
      const col = cols().find((c) => c.id === t.getAttr('stageId'));
      const p = stage.getPointerPosition();
      const c = container.getBoundingClientRect();
      if (col && p) hooks.tooltip(headerTip(col), c.left + p.x, c.top + p.y);
    }
  });
  stage.on('mouseout', (e) => {
    if (!drag && !panning) container.style.cursor = '';
    if (e.target.hasName('header-hit') || e.target.findAncestor('.chip', true) || e.target.getAttr('markTip')) hooks.tooltip(null);
  });

  function headerTip(col) {
    return headerTipText(col);
  }

  // A column dragged by its header (the owner): a ghost follows the pointer, a bar
  // marks the gap it would drop into; the header itself stays put.
  function columnDragStart(node) {
    const id = node.getAttr('stageId');
    const geo = geoOf(id);
    if (!hooks.canSetUp || !geo) {
      node.stopDrag();
      return;
    }
    hooks.tooltip(null);
    const abs = node.absolutePosition();
    node.moveTo(dragLayer); // a redraw of the header meanwhile must not end the drag
    node.absolutePosition(abs);
    const view = columnViews.get(id);
    if (view) view.headerSig = '';
    const col = cols().find((c) => c.id === id);
    const ghost = new Konva.Group({ x: geo.x, y: M.padTop, listening: false, opacity: 0.9 });
    ghost.add(new Rect({ width: geo.width, height: M.headerH, cornerRadius: 12, fill: COLORS.column, stroke: COLORS.drop, strokeWidth: 2, shadowColor: '#0f172a', shadowBlur: 18, shadowOpacity: 0.18, shadowOffsetY: 6 }));
    ghost.add(new Text({ x: 16, y: 17, text: col ? col.name : '', fontFamily: FONT_FAMILY, fontSize: 17, fontStyle: '700', fill: COLORS.ink, width: geo.width - 32, wrap: 'none', ellipsis: true }));
    dragLayer.add(ghost);
    const others = geoms.filter((g) => g.id !== id);
    drag = { kind: 'column', id, node, ghost, grabX: null, fromIndex: geoms.findIndex((g) => g.id === id), index: null, others };
    container.style.cursor = 'grabbing';
    hooks.dragState(true);
    dragLayer.batchDraw();
  }

  function columnDragMove() {
    const w = pointerWorld();
    if (!w) return;
    const geo = geoOf(drag.id);
    if (drag.grabX == null) drag.grabX = w.x - geo.x;
    drag.ghost.x(w.x - drag.grabX);
    const { others } = drag;
    drag.index = others.filter((g) => g.x + g.width / 2 < w.x).length;
    const after = others[drag.index - 1];
    const before = others[drag.index];
    const x = before ? before.x - M.gap / 2 : after ? after.x + after.width + M.gap / 2 : null;
    const same = drag.index === drag.fromIndex;
    columnMarker.setAttrs({ visible: x != null && !same, x: (x ?? 0) - 2, y: M.padTop, height: worldH - M.padTop - M.padBottom });
    dragLayer.batchDraw();
  }

  function columnDragEnd() {
    const d = drag;
    drag = null;
    columnMarker.visible(false);
    d.ghost.destroy();
    d.node.destroy();
    container.style.cursor = '';
    hooks.dragState(false);
    render();
    dragLayer.batchDraw();
    if (d.index != null && d.index !== d.fromIndex) hooks.dropColumn(d.id, d.index);
  }

  // Drag and drop.
  stage.on('dragstart', (e) => {
    const node = e.target;
    if (node.hasName('column-handle')) {
      columnDragStart(node);
      return;
    }
    const isCard = node.hasName('card');
    const isChip = node.hasName('chip');
    if (!isCard && !isChip) return;
    if (!hooks.canEdit) {
      node.stopDrag();
      return;
    }
    hooks.tooltip(null);
    const abs = node.absolutePosition();
    if (isCard) {
      const id = node.getAttr('leadId');
      const from = cols().find((c) => c.ids.includes(id));
      const view = from && columnViews.get(from.id);
      if (!from || !view) {
        node.stopDrag();
        return;
      }
      view.nodes.delete(id);
      // A selected card carries the whole selection.
      const group = multi.has(id) && multi.size > 1 && hooks.dropSelection ? [...multi] : null;
      drag = { kind: 'card', id, node, from: from.id, fromIndex: from.ids.indexOf(id), origin: abs, to: null, index: null, group };
    } else {
      const stageId = node.getAttr('stageId');
      const view = columnViews.get(stageId);
      if (view) {
        view.chipNodes.delete(node.getAttr('campaignId'));
        view.chipsSig = ''; // redrawn after the drag
      }
      drag = { kind: 'chip', id: node.getAttr('campaignId'), node, from: stageId, origin: abs, to: null };
    }
    node.moveTo(dragLayer);
    node.absolutePosition(abs);
    const bg = node.findOne('.card-bg') || node.findOne('.chip-bg');
    if (bg) bg.setAttrs({ shadowColor: '#0f172a', shadowBlur: 18, shadowOpacity: 0.18, shadowOffsetY: 6 });
    node.opacity(0.94);
    container.style.cursor = 'grabbing';
    hooks.dragState(true);
    render();
    dragLayer.batchDraw();
  });

  stage.on('dragmove', (e) => {
    if (!drag || e.target !== drag.node) return;
    if (drag.kind === 'column') {
      columnDragMove();
      return;
    }
    const w = pointerWorld();
    if (!w) return;
    const target = columnAt(geoms, w.x);
    drag.to = target;
    if (target == null) {
      dropMarker.visible(false);
      dropZone.visible(false);
      return;
    }
    const geo = geoOf(target);
    if (drag.kind === 'chip' || geo.folded) {
      drag.index = 0;
      dropMarker.visible(false);
      const show = drag.kind === 'card' ? true : target !== drag.from;
      dropZone.setAttrs({ visible: show, x: geo.x + 2, y: M.padTop + 2, width: geo.width - 4, height: worldH - M.padTop - M.padBottom - 4 });
      return;
    }
    dropZone.visible(false);
    const view = columnViews.get(target);
    // The column knows its list (the handoff lane's taller cards come first).
    const { slot, markerY } = view.dropSlot(w.y, drag.id);
    // Index among the cards that stay (the dragged one leaves its own column).
    drag.index = target === drag.from && slot > drag.fromIndex ? slot - 1 : slot;
    const visible = markerY != null && markerY >= box.top - 4 && markerY <= box.top + box.height;
    const same = target === drag.from && drag.index === drag.fromIndex;
    dropMarker.setAttrs({ visible: visible && !same, x: geo.x + M.colPad, y: Math.max(box.top, markerY), width: geo.width - 2 * M.colPad });
  });

  stage.on('dragend', (e) => {
    if (!drag || e.target !== drag.node) return;
    if (drag.kind === 'column') {
      columnDragEnd();
      return;
    }
    const d = drag;
    drag = null;
    dropMarker.visible(false);
    dropZone.visible(false);
    container.style.cursor = '';
    hooks.dragState(false);
    const moved =
      d.to != null &&
      (d.kind === 'card' ? d.to !== d.from || (d.index != null && d.index !== d.fromIndex) || (d.group && d.to != null) : d.to !== d.from);
    if (!moved) {
      // Back to where it came from.
      new Konva.Tween({
        node: d.node,
        duration: 0.18,
        easing: Konva.Easings.EaseOut,
        x: d.node.x() + (d.origin.x - d.node.absolutePosition().x) / zoom,
        y: d.node.y() + (d.origin.y - d.node.absolutePosition().y) / zoom,
        onFinish: () => {
          d.node.destroy();
          render();
          dragLayer.batchDraw();
        },
      }).play();
      return;
    }
    d.node.destroy();
    dragLayer.batchDraw();
    if (d.kind === 'card' && d.group) {
      render();
      hooks.dropSelection(d.group, d.to, d.index);
    } else if (d.kind === 'card') hooks.dropCard(d.id, d.from, d.to, d.index);
    else {
      render();
      hooks.dropChip(d.id, d.from, d.to);
    }
  });

  // Others' moves: the card travels from where it was to where it is now.
  /** Before an update: where these leads' cards are drawn, with a copy of each node. */
  function snapshot(leadIds) {
    const out = new Map();
    for (const id of leadIds) {
      const r = cardRect(id);
      const node = nodeOf(id);
      if (!r || !node) continue;
      if (r.y + r.height <= box.top || r.y >= box.top + box.height) continue;
      out.set(id, { rect: r, ghost: node.clone({ listening: false, draggable: false, opacity: 1 }) });
    }
    return out;
  }

  function nodeOf(leadId) {
    for (const view of columnViews.values()) {
      const entry = view.nodes.get(leadId);
      if (entry) return entry.node;
    }
    return null;
  }

  function label(text, x, y) {
    const l = new Label({ x, y, opacity: 0 });
    l.add(new Tag({ fill: COLORS.ink, cornerRadius: 6, pointerDirection: 'down', pointerWidth: 10, pointerHeight: 6, shadowColor: '#000', shadowBlur: 6, shadowOpacity: 0.15 }));
    l.add(new Text({ text, fontFamily: FONT_FAMILY, fontSize: 12.5, fontStyle: '600', padding: 6, fill: COLORS.inverse }));
    fxLayer.add(l);
    l.to({ opacity: 1, duration: 0.15 });
    setTimeout(() => l.to({ opacity: 0, duration: 0.4, onFinish: () => l.destroy() }), 1800);
  }

  /** After render() placed the cards anew. before: snapshot(); moves: [{lead, to (stage), label}]. */
  function animate(before, moves) {
    for (const m of moves) {
      const was = before.get(m.lead);
      before.delete(m.lead);
      const to = cardRect(m.lead);
      const node = nodeOf(m.lead);
      const inView = to && to.y + to.height > box.top && to.y < box.top + box.height;
      if (was && node && inView) {
        const ghost = was.ghost;
        ghost.position({ x: was.rect.x, y: was.rect.y });
        fxLayer.add(ghost);
        hidden.add(m.lead);
        node.opacity(0);
        boardLayer.batchDraw();
        new Konva.Tween({
          node: ghost,
          duration: MOVE_MS / 1000,
          easing: Konva.Easings.EaseInOut,
          x: to.x,
          y: to.y,
          onFinish: () => {
            ghost.destroy();
            hidden.delete(m.lead);
            const current = nodeOf(m.lead);
            if (current) current.opacity(1);
            boardLayer.batchDraw();
            if (m.label) label(m.label, to.x + 14, to.y - 2);
          },
        }).play();
      } else if (was) {
        // Gone to a place not in view: travel to the target column's header and fade.
        const geo = geoOf(m.to);
        const ghost = was.ghost;
        if (!geo) {
          ghost.destroy();
          continue;
        }
        ghost.position({ x: was.rect.x, y: was.rect.y });
        fxLayer.add(ghost);
        new Konva.Tween({
          node: ghost,
          duration: MOVE_MS / 1000,
          easing: Konva.Easings.EaseInOut,
          x: geo.x + Math.max(0, (geo.width - was.rect.width * 0.5) / 2),
          y: M.padTop + 30,
          scaleX: 0.5,
          scaleY: 0.5,
          opacity: 0.15,
          onFinish: () => {
            ghost.destroy();
            if (m.label) label(m.label, geo.x + 8, M.padTop + 34);
          },
        }).play();
      } else if (node && inView) {
        node.opacity(0);
        node.to({ opacity: 1, duration: MOVE_MS / 1000 });
        if (m.label) label(m.label, to.x + 14, to.y - 2);
      }
    }
    for (const { ghost } of before.values()) ghost.destroy();
    fxLayer.batchDraw();
  }

  /**
   * The board drawn for an export (PNG): a canvas of ``width`` x ``height`` CSS
   * pixels times ``pixelRatio``, laid out as a screen of that size would show it.
   * ``whole``: fit every column in (else the zoom and pan as on screen). Only the
   * board layer (no focus ring, drag marker or travelling cards); transparent
   * where there is no column. The screen is laid out again before this returns,
   * in the same task, so it never shows the export's layout.
   */
  function exportCanvas({ width, height, pixelRatio = 1, whole = false }) {
    const saved = { zoom, pan, scrolls: new Map([...columnViews].map(([id, v]) => [id, v.scroll])) };
    exporting = { width, height, whole };
    try {
      if (whole) {
        zoom = fitZoom(columnsLayout(cols(), width).width, width);
        pan = 0;
      }
      render();
      return boardLayer.toCanvas({ x: 0, y: 0, width, height, pixelRatio });
    } finally {
      exporting = null;
      zoom = saved.zoom;
      pan = saved.pan;
      for (const [id, scroll] of saved.scrolls) if (columnViews.has(id)) columnViews.get(id).scroll = scroll;
      render();
    }
  }

  // Touch (touch.js): a long-press lifts through the drag lifecycle above; swipes
  // scroll and pan, pinches zoom. Mouse input never reaches it.
  const touch = attachTouch(container, {
    get pan() {
      return pan;
    },
    get zoom() {
      return zoom;
    },
    get dragging() {
      return drag != null;
    },
    holdDrags: (on) => stage.setAttr('dragDistance', on ? 1e9 : undefined),
    lift(x, y) {
      let node = stage.getIntersection({ x, y });
      while (node && node !== stage && !node.draggable()) node = node.getParent();
      if (!node || node === stage) return null;
      node.startDrag();
      return drag && drag.node === node ? node : null;
    },
    panTo(p) {
      // A lifted card stays under the finger while the board moves beneath it.
      const held = drag && drag.node;
      const abs = held && held.absolutePosition();
      pan = clampPan(p, boardW, zoom, stage.width());
      stage.position({ x: pan, y: 0 });
      if (held) held.absolutePosition(abs);
      stage.batchDraw();
    },
    zoomAt: (z, x) => setZoom(z, x),
    columnAt: (x) => columnAt(geoms, (x - pan) / zoom),
    scrollColumn,
    stops: () => columnStops(geoms, boardW, zoom, stage.width()),
    snap: (from, to, v) => snapPan(columnStops(geoms, boardW, zoom, stage.width()), from, to, v, stage.width()),
    refreshDrag() {
      if (drag && drag.node) drag.node.fire('dragmove', { type: 'dragmove', target: drag.node }, true);
    },
  });

  const resizer = new ResizeObserver(() => {
    const w = container.clientWidth;
    const h = container.clientHeight;
    if (w && h && (w !== stage.width() || h !== stage.height())) {
      stage.size({ width: w, height: h });
      render();
    }
  });
  resizer.observe(container);

  return {
    render,
    snapshot,
    nodeOf,
    animate,
    exportCanvas,
    /** The board's size on screen, CSS pixels. */
    get size() {
      return { width: stage.width(), height: stage.height() };
    },
    get zoom() {
      return zoom;
    },
    zoomIn: () => setZoom(zoom * 1.2),
    zoomOut: () => setZoom(zoom / 1.2),
    fit() {
      const width = stage.width() / base;
      zoom = base * openingZoom(columnsLayout(cols(), width).width, width);
      pan = 0;
      render();
    },
    /** The zoom that fits every column across the view (at the meeting's scale). */
    get fitted() {
      const width = stage.width() / base;
      return base * fitZoom(columnsLayout(cols(), width).width, width);
    },
    /** Zoom to ``z`` around the middle of the view (a meeting's presenter's zoom). */
    setZoom: (z) => setZoom(z),
    /** The meeting's type scale (see ``base``); fits the board again. */
    setBase(b) {
      base = Math.max(1, Number(b) || 1);
      this.fit();
    },
    get base() {
      return base;
    },
    /** After a palette change (theme.setPalette): draw every node anew in its colours. */
    restyle() {
      for (const view of columnViews.values()) view.destroy();
      columnViews.clear();
      focusRing.stroke(COLORS.focus);
      dropMarker.fill(COLORS.drop);
      dropZone.stroke(COLORS.drop);
      columnMarker.fill(COLORS.drop);
      render();
      fxLayer.batchDraw();
      dragLayer.batchDraw();
    },
    select(leadId) {
      selection = leadId;
      drawFocus();
      fxLayer.batchDraw();
    },
    /** The cards selected together (a Set of lead ids), drawn highlighted. */
    setMulti(ids) {
      multi = new Set(ids);
      drawFocus();
      fxLayer.batchDraw();
    },
    /** Scroll the card's column so the card shows whole. */
    reveal(leadId) {
      for (const view of columnViews.values()) {
        if (view.reveal(leadId, box.height)) {
          render();
          return;
        }
      }
    },
    resetScroll() {
      for (const view of columnViews.values()) view.scroll = 0;
    },
    scrollOf: (stageId) => (columnViews.get(stageId) ? columnViews.get(stageId).scroll : 0),
    // Page rects for tests (CSS pixels), null when not drawn.
    cardRectPage(leadId) {
      const r = cardRect(leadId);
      if (!r) return null;
      const top = Math.max(r.y, box.top);
      const bottom = Math.min(r.y + r.height, box.top + box.height);
      if (bottom - top < 1) return null;
      return toPage({ x: r.x, y: top, width: r.width, height: bottom - top });
    },
    chipRectPage(campaignId, stageId) {
      const view = columnViews.get(stageId);
      const node = view && view.chipNodes.get(campaignId);
      if (!node) return null;
      const bg = node.findOne('.chip-bg');
      const geo = geoOf(stageId);
      return toPage({ x: geo.x + M.colPad + node.x(), y: M.padTop + M.headerH + M.chipGap + node.y(), width: bg.width(), height: bg.height() });
    },
    columnRectPage(stageId) {
      const geo = geoOf(stageId);
      if (!geo) return null;
      return toPage({ x: geo.x, y: M.padTop, width: geo.width, height: worldH - M.padTop - M.padBottom });
    },
    /** The column's header (where the owner grabs it to drag it). */
    headerRectPage(stageId) {
      const geo = geoOf(stageId);
      if (!geo) return null;
      return toPage({ x: geo.x, y: M.padTop, width: geo.width, height: M.headerH });
    },
    /** A button of a column's header, in page pixels, or null where the header has
     * none: ``stage-menu`` (⋯, the owner's), ``card-sort`` (⇅; not folded, not the
     * past), ``overdue-filter`` ("12 overdue"), ``quick-add`` (+, with edit rights). */
    headerButtonRectPage(stageId, name) {
      const view = columnViews.get(stageId);
      const button = view && view.header.findOne(`.${name}`);
      return button ? nodeRectPage(button) : null;
    },
    stageMenuRectPage(stageId) {
      return this.headerButtonRectPage(stageId, 'stage-menu');
    },
    cardSortRectPage(stageId) {
      return this.headerButtonRectPage(stageId, 'card-sort');
    },
    overdueRectPage(stageId) {
      return this.headerButtonRectPage(stageId, 'overdue-filter');
    },
    quickAddRectPage(stageId) {
      return this.headerButtonRectPage(stageId, 'quick-add');
    },
    /** What a column's header says (for tests): its count text and past-SLA note. */
    headerText(stageId) {
      const view = columnViews.get(stageId);
      if (!view) return null;
      const read = (name) => {
        const node = view.header.findOne(`.${name}`);
        return node ? node.text() : null;
      };
      const pill = view.header.findOne('.wip-pill');
      return { count: read('wip-count'), overdue: read('overdue'), wipFill: pill ? pill.fill() : null };
    },
    get dragging() {
      return drag != null;
    },
    /** The lead whose card is in the hand, or null (ui/hold.js). */
    get heldCard() {
      return drag && drag.kind === 'card' ? drag.id : null;
    },
    /** A note on the held card, above it ("Dana moved this to SQL"); it goes with the drop. */
    holdNote(text) {
      if (!drag || drag.kind !== 'card') return;
      let note = drag.node.findOne('.held-note');
      if (!note) {
        const bg = drag.node.findOne('.card-bg');
        note = new Label({ name: 'held-note', listening: false });
        note.add(new Tag({ fill: COLORS.wipAt, cornerRadius: 6, pointerDirection: 'down', pointerWidth: 10, pointerHeight: 6 }));
        note.add(new Text({ fontFamily: FONT_FAMILY, fontSize: 13, fontStyle: '600', padding: 7, fill: COLORS.inverse, wrap: 'word', width: bg ? bg.width() : 220 }));
        drag.node.add(note);
      }
      note.getText().text(text);
      note.position({ x: (note.getText().width() || 0) / 2, y: -4 });
      dragLayer.batchDraw();
    },
    /** What the held card's note says (tests), or null. */
    heldNoteText() {
      const note = drag && drag.node.findOne('.held-note');
      return note ? note.getText().text() : null;
    },
    /** The board's horizontal pan (CSS px) and the touch gesture's state (for tests). */
    get pan() {
      return pan;
    },
    touchState: () => touch.state(),
  };
}
