// Work that can wait for the board: the side panel's charts, the lead-quality
// figures and the time bar's range load after the board's first draw, so they
// do not hold it back. The charts also wait for a quiet moment: plotly.js is
// 4 MB of script, and running it in the middle of a drag would freeze the card
// in the user's hand for most of a second.

const INPUT = ['pointerdown', 'pointermove', 'keydown', 'wheel'];

/** Run ``fn`` once the board is drawn (``window.funnelboard.ready``), no input
 * came for ``quietMs`` (0: do not wait for quiet) and the page is idle. */
export function afterFirstDraw(fn, { quietMs = 0 } = {}) {
  const idle = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => fn(), { timeout: 1500 }) : setTimeout(fn, 100));
  const whenQuiet = () => (quietMs > 0 ? afterQuiet(quietMs, idle) : idle());
  const ready = typeof window !== 'undefined' && window.funnelboard ? window.funnelboard.ready : null;
  Promise.resolve(ready).then(whenQuiet, whenQuiet);
}

/** Run ``fn`` after ``ms`` without pointer or keyboard input on the page. */
function afterQuiet(ms, fn) {
  if (typeof window === 'undefined') {
    fn();
    return;
  }
  let timer = null;
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(done, ms);
  };
  const done = () => {
    for (const type of INPUT) window.removeEventListener(type, restart, true);
    fn();
  };
  for (const type of INPUT) window.addEventListener(type, restart, { capture: true, passive: true });
  restart();
}
