// This browser's own moves that can be taken back, newest last. Pure.

export function createUndoStack(limit = 50) {
  const items = [];
  return {
    /** {transition: id} or {batch: uuid}, with a label for the toast. */
    push(item) {
      if (!item || (item.transition == null && item.batch == null)) return;
      items.push(item);
      if (items.length > limit) items.shift();
    },
    pop() {
      return items.pop() || null;
    },
    peek() {
      return items[items.length - 1] || null;
    },
    get size() {
      return items.length;
    },
  };
}

/** The body for POST /undo/. */
export function undoBody(item) {
  return item.batch != null ? { batch: item.batch } : { transition: item.transition };
}
