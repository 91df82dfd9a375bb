// Fitting text into a width: ellipsize with measured text. Pure; the measure
// function is injected (a canvas 2D context in the browser, a fake in tests).

const ELLIPSIS = '…';

/** The longest prefix of ``text`` (plus an ellipsis) that fits ``maxWidth``. */
export function ellipsize(text, maxWidth, measure) {
  const s = String(text ?? '');
  if (maxWidth <= 0) return '';
  if (measure(s) <= maxWidth) return s;
  if (measure(ELLIPSIS) > maxWidth) return '';
  // Binary search on the number of characters kept (by code points).
  const chars = Array.from(s);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(chars.slice(0, mid).join('').trimEnd() + ELLIPSIS) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join('').trimEnd() + ELLIPSIS;
}

/** A measuring function for one canvas font, with a bounded cache. */
export function createMeasurer(context) {
  const caches = new Map();
  return function measure(text, fontString) {
    let cache = caches.get(fontString);
    if (!cache) {
      cache = new Map();
      caches.set(fontString, cache);
    }
    let width = cache.get(text);
    if (width === undefined) {
      if (cache.size > 5000) cache.clear();
      context.font = fontString;
      width = context.measureText(text).width;
      cache.set(text, width);
    }
    return width;
  };
}
