// Work that can wait for the board: the side panel's charts, the lead-quality
// figures and the time bar's range load after the board's first draw, so they
// do not hold it back (plotly.js alone is 4 MB of script to parse).

/** Run ``fn`` once the board is drawn (``window.funnelboard.ready``) and the
 * page is idle. */
export function afterFirstDraw(fn) {
  const idle = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => fn(), { timeout: 1500 }) : setTimeout(fn, 100));
  const ready = typeof window !== 'undefined' && window.funnelboard ? window.funnelboard.ready : null;
  Promise.resolve(ready).then(idle, idle);
}
