// Touch on the board canvas (phones, tablets): what a finger means.
//
//   long-press  one finger still (within ``slop`` px) for ``holdMs``: lifts the
//               card (or chip, or column header) under it; then it drags as with
//               a mouse, through view.js's own drag lifecycle (dragstart,
//               dragmove, dragend), so every drop rule stays in one place.
//   swipe       one finger past ``slop`` px before ``holdMs``: scrolls the column
//               (up / down) or pans the board (sideways; on a narrow canvas it
//               snaps a column at a time). It never moves anything.
//   pinch       two fingers: zoom around their middle.
//   tap         a short touch that did not move: Konva's own ``tap`` (select, open).
//
// The classifier (gestureStep / classify) is pure: timestamps and positions in,
// the gesture's kind out. attachTouch wires it to a container's touch events;
// mouse input never reaches it, so the desktop behaves exactly as before.

import { nearestStop } from './layout.js';

export const GESTURE = {
  holdMs: 250, // a finger still this long lifts what is under it
  slop: 8, // px a finger may wander and still be "still"
  edge: 36, // px from the canvas's side: a lifted card held there brings the next column in
  edgeMs: 380, // how long it waits there before the first column step
  edgeRepeatMs: 900, // and between steps while it stays
  flingMin: 0.3, // px per ms: a column scroll let go faster than this glides on
};

const dist = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);
const middle = (a, b) => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });

function pinchOf(points) {
  const [a, b] = points;
  return { d0: Math.max(1, dist(a, b)), mid0: middle(a, b), d: Math.max(1, dist(a, b)), mid: middle(a, b) };
}

/**
 * One step of a gesture. ``state``: null before the first finger. ``ev``:
 * {type: 'start' | 'move' | 'end' | 'time', t (ms), points: [{x, y}] (the
 * fingers down after the event)}. Returns the next state:
 * {kind: 'pending' | 'hold' | 'swipe' | 'pinch' | 'tap', done, t0, start, last,
 * axis ('x' | 'y', a swipe's), pinch ({d0, mid0, d, mid}), trail (recent
 * samples, for the speed at the end)}.
 * A gesture keeps its kind once decided, until every finger is up (done).
 */
export function gestureStep(state, ev, o = GESTURE) {
  const pts = ev.points || [];
  const t = ev.t;
  if (!state || state.done) {
    if (ev.type !== 'start' || !pts.length) return state;
    const p = pts[0];
    const two = pts.length >= 2;
    return { kind: two ? 'pinch' : 'pending', done: false, t0: t, start: p, last: p, axis: null, pinch: two ? pinchOf(pts) : null, trail: [{ t, ...p }] };
  }
  let s = { ...state };
  // Still for holdMs (nothing seen past the slop before it): a hold.
  if (s.kind === 'pending' && t - s.t0 >= o.holdMs) s.kind = 'hold';
  if (ev.type === 'time') return s;
  if (ev.type === 'start') {
    // Another finger: a pinch, unless something is already lifted.
    if (pts.length >= 2 && (s.kind === 'pending' || s.kind === 'swipe')) s = { ...s, kind: 'pinch', pinch: pinchOf(pts) };
    else if (pts.length >= 2 && s.kind === 'pinch') s = { ...s, pinch: pinchOf(pts) };
    return s;
  }
  if (ev.type === 'move' && pts.length) {
    const p = pts[0];
    if (s.kind === 'pending' && dist(p, s.start) > o.slop) {
      s.kind = 'swipe';
      s.axis = Math.abs(p.x - s.start.x) > Math.abs(p.y - s.start.y) ? 'x' : 'y';
    }
    if (s.kind === 'pinch' && pts.length >= 2) {
      const [a, b] = pts;
      s.pinch = { ...s.pinch, d: Math.max(1, dist(a, b)), mid: middle(a, b) };
    }
    s.last = p;
    s.trail = [...s.trail, { t, ...p }].filter((q) => t - q.t <= 120).slice(-8);
    return s;
  }
  if (ev.type === 'end') {
    if (pts.length) {
      // A finger of a pinch lifted: the other one does nothing more.
      return s;
    }
    return { ...s, kind: s.kind === 'pending' ? 'tap' : s.kind, done: true, t1: t };
  }
  return s;
}

/** The kind of gesture a whole sequence of events makes (see gestureStep). */
export function classify(events, o = GESTURE) {
  let s = null;
  for (const ev of events) s = gestureStep(s, ev, o);
  return s ? s.kind : null;
}

/** Speed of the last ~100 ms, px per ms ({x, y}); zero with too few samples. */
export function velocity(state) {
  const trail = state ? state.trail : [];
  if (!trail || trail.length < 2) return { x: 0, y: 0 };
  const a = trail[0];
  const b = trail[trail.length - 1];
  const dt = b.t - a.t;
  if (dt <= 0) return { x: 0, y: 0 };
  return { x: (b.x - a.x) / dt, y: (b.y - a.y) / dt };
}

/**
 * Touch gestures on ``container`` (the Konva stage's). ``api`` (view.js):
 * {pan, zoom (getters), holdDrags(on) (no drag starts by distance while on),
 * lift(x, y) -> node | null (start dragging what is under the point), dragging
 * (a getter), panTo(pan), zoomAt(zoom, x), columnAt(x) -> stage id | null,
 * scrollColumn(stageId, delta), stops() -> [pan] (layout.columnStops),
 * snap(fromPan, toPan, velocity) -> pan | null (layout.snapPan), refreshDrag()}.
 * Positions are the container's CSS pixels. Returns {swallowTap(), state()}.
 */
export function attachTouch(container, api, o = GESTURE) {
  let g = null;
  let holdTimer = null;
  let lifted = null; // the node a long-press lifted
  let swallow = false; // the gesture was a swipe or a pinch: its tap is not a tap
  let from = { pan: 0, zoom: 1 };
  let column = null; // the column a vertical swipe scrolls
  let anim = null;
  let edge = null; // {dir, timer}
  let last = null; // the last finished gesture's kind (for the tests)

  container.style.touchAction = 'none'; // the page neither scrolls nor zooms under the board

  const local = (touches) => {
    const r = container.getBoundingClientRect();
    return [...touches].map((t) => ({ x: t.clientX - r.left, y: t.clientY - r.top }));
  };
  const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
  // Times are when the page handles the event, not the event's own timeStamp: on a
  // busy page a touch handled late is followed at once by its queued moves, so a
  // lag can turn a long-press into a swipe (nothing moves) but never a swipe into a
  // lift (something would).

  function stopAnim() {
    if (anim) cancelAnimationFrame(anim);
    anim = null;
  }
  /** Ease the pan to ``target`` (a snap), over ``ms``. */
  function glidePan(target, ms = 220, each = null) {
    stopAnim();
    const start = api.pan;
    const t0 = now();
    const frame = () => {
      const k = Math.min(1, (now() - t0) / ms);
      const e = 1 - (1 - k) ** 3;
      api.panTo(start + (target - start) * e);
      if (each) each();
      anim = k < 1 ? requestAnimationFrame(frame) : null;
    };
    anim = requestAnimationFrame(frame);
  }
  /** A column scroll let go with speed ``v`` (px per ms) glides to a stop. */
  function fling(stageId, v) {
    stopAnim();
    let speed = v;
    let t = now();
    const frame = () => {
      const n = now();
      const dt = Math.min(40, n - t);
      t = n;
      api.scrollColumn(stageId, -speed * dt / api.zoom);
      speed *= 0.94 ** (dt / 16);
      anim = Math.abs(speed) > 0.02 ? requestAnimationFrame(frame) : null;
    };
    anim = requestAnimationFrame(frame);
  }

  function clearEdge() {
    if (edge) clearTimeout(edge.timer);
    edge = null;
  }
  /** A lifted card held at a side: the board brings the next column in, step by step. */
  function edgeStep(dir) {
    const stops = api.stops();
    if (stops.length) {
      const i = nearestStop(stops, api.pan);
      const next = stops[Math.max(0, Math.min(stops.length - 1, i + dir))];
      if (next !== api.pan) glidePan(next, 200, () => api.refreshDrag());
    } else {
      api.panTo(api.pan - dir * 60);
      api.refreshDrag();
    }
    edge = { dir, timer: setTimeout(() => edgeStep(dir), stops.length ? o.edgeRepeatMs : 40) };
  }
  function watchEdge(p) {
    const w = container.clientWidth;
    const dir = p.x < o.edge ? -1 : p.x > w - o.edge ? 1 : 0;
    if (edge && edge.dir === dir) return;
    clearEdge();
    if (dir) edge = { dir, timer: setTimeout(() => edgeStep(dir), o.edgeMs) };
  }

  function onHold() {
    holdTimer = null;
    if (!g || g.done) return;
    g = gestureStep(g, { type: 'time', t: now(), points: [] }, o);
    if (g.kind !== 'hold' || lifted) return;
    lifted = api.lift(g.start.x, g.start.y);
    if (lifted) {
      swallow = false;
      lifted.to({ scaleX: 1.04, scaleY: 1.04, duration: 0.12 }); // it comes up to the finger
      if (typeof navigator !== 'undefined' && navigator.vibrate) navigator.vibrate(12);
    }
  }

  function finish() {
    clearTimeout(holdTimer);
    holdTimer = null;
    clearEdge();
    api.holdDrags(false);
    last = g ? g.kind : null;
    const kind = g ? g.kind : null;
    if (kind === 'swipe' || kind === 'pinch' || (kind === 'hold' && !lifted)) swallow = true;
    if (kind === 'swipe' || (kind === 'hold' && !lifted)) {
      const v = velocity(g);
      if (g.axis === 'x' || (kind === 'hold' && !lifted)) {
        const target = api.snap(from.pan, api.pan, v.x);
        if (target != null && target !== api.pan) glidePan(target);
      } else if (column != null && Math.abs(v.y) >= o.flingMin) {
        fling(column, v.y);
      }
    }
    lifted = null;
    column = null;
  }
  container.addEventListener(
    'touchstart',
    (e) => {
      const points = local(e.touches);
      const fresh = !g || g.done;
      g = gestureStep(fresh ? null : g, { type: 'start', t: now(), points }, o);
      if (fresh) {
        stopAnim();
        swallow = false;
        lifted = null;
        from = { pan: api.pan, zoom: api.zoom };
        column = api.columnAt(points[0].x);
        api.holdDrags(true);
        clearTimeout(holdTimer);
        holdTimer = setTimeout(onHold, o.holdMs);
      }
      if (g.kind === 'pinch') {
        clearTimeout(holdTimer);
        from = { pan: api.pan, zoom: api.zoom };
      }
      if (e.cancelable) e.preventDefault(); // no emulated mouse events, no native gestures
    },
    { capture: true, passive: false },
  );

  container.addEventListener(
    'touchmove',
    (e) => {
      if (!g || g.done) return;
      const before = g;
      g = gestureStep(g, { type: 'move', t: now(), points: local(e.touches) }, o);
      if (e.cancelable) e.preventDefault();
      if (g.kind === 'pinch' && g.pinch) {
        const { d0, d, mid } = g.pinch;
        const prevMid = before.kind === 'pinch' && before.pinch ? before.pinch.mid : mid;
        api.zoomAt(from.zoom * (d / d0), mid.x);
        if (mid.x !== prevMid.x) api.panTo(api.pan + (mid.x - prevMid.x));
        return;
      }
      if (g.kind === 'hold' && lifted) {
        watchEdge(g.last);
        return;
      }
      if (g.kind === 'swipe' || g.kind === 'hold') {
        const dx = g.last.x - before.last.x;
        const dy = g.last.y - before.last.y;
        // A swipe keeps to its axis (a column scrolls, or the board pans); a hold
        // on nothing liftable pans freely.
        if (g.kind === 'hold' || g.axis === 'x') api.panTo(api.pan + dx);
        if ((g.kind === 'hold' || g.axis === 'y') && column != null) api.scrollColumn(column, -dy / api.zoom);
      }
    },
    { capture: true, passive: false },
  );

  const end = (e) => {
    if (!g || g.done) return;
    g = gestureStep(g, { type: 'end', t: now(), points: local(e.touches) }, o);
    if (g.done) finish();
  };
  container.addEventListener('touchend', end, { capture: true });
  container.addEventListener('touchcancel', end, { capture: true });

  return {
    /** Was the touch that just ended a swipe or pinch (so its ``tap`` is not one)? */
    swallowTap: () => swallow,
    state: () => ({ kind: g ? g.kind : null, done: g ? g.done : true, last, lifted: !!lifted }),
  };
}
