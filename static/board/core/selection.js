// Many cards selected at once (Shift/Ctrl/Cmd-click, a lasso): pure set logic and
// rectangle geometry. The canvas draws it, panels/bulk.js acts on it.

/** A rectangle from two corners, whichever way the drag went. */
export function rectFrom(x0, y0, x1, y1) {
  return { x: Math.min(x0, x1), y: Math.min(y0, y1), width: Math.abs(x1 - x0), height: Math.abs(y1 - y0) };
}

/** Do two rectangles overlap (touching edges do not)? */
export function intersects(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The ids whose rectangle (``rects``: Map id -> rect) the lasso touches, in map order. */
export function lassoed(rects, lasso) {
  const ids = [];
  for (const [id, r] of rects) if (intersects(r, lasso)) ids.push(id);
  return ids;
}

/** ``selected`` with ``id`` toggled (a new Set). */
export function toggled(selected, id) {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** ``selected`` with ``ids`` added (a lasso adds to what is selected). */
export function added(selected, ids) {
  return new Set([...selected, ...ids]);
}

/** The selected ids still on the board (``has(id)``), in board order (``order``: every id drawn). */
export function inBoardOrder(selected, order) {
  return order.filter((id) => selected.has(id));
}
