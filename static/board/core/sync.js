// Keeping the state in step with the server's event log: apply by seq, heal
// gaps from /events/?after=, reload /state/ when too far behind. No event is
// lost silently. The network calls are injected (tests use fakes).

export const MAX_CATCH_UP = 1000;
export const EVENTS_PAGE = 1000;

/**
 * deps: {
 *   seq(): last applied seq,
 *   apply(events): apply stored events in order (the store skips duplicates),
 *   load(): Promise, replace the state from /state/,
 *   fetchEvents(after, limit): Promise<{events, seq, has_more}>,
 *   setTimeout?: (fn, ms) => void, onError?: (error) => void,
 * }
 */
export function createSync(deps) {
  const later = deps.setTimeout || ((fn, ms) => setTimeout(fn, ms));
  const onError = deps.onError || (() => {});
  let buffer = []; // events that arrived while a catch-up or reload ran
  let running = null; // the job in progress (Promise)
  let wanted = null; // 'catch-up' | 'reload' queued behind it
  let target = 0; // highest seq the server is known to have
  let retryMs = 1000;

  function drain() {
    if (!buffer.length) return true;
    const events = buffer.filter((e) => e.seq > deps.seq()).sort((a, b) => a.seq - b.seq);
    buffer = [];
    const ready = [];
    let seq = deps.seq();
    for (const event of events) {
      if (event.seq === seq + 1) {
        ready.push(event);
        seq = event.seq;
      } else if (event.seq > seq + 1) {
        buffer.push(event); // still a hole before it
      }
    }
    if (ready.length) deps.apply(ready);
    buffer = buffer.filter((e) => e.seq > deps.seq());
    return buffer.length === 0;
  }

  async function catchUp() {
    for (;;) {
      const after = deps.seq();
      const page = await deps.fetchEvents(after, EVENTS_PAGE);
      target = Math.max(target, page.seq ?? 0);
      if ((page.seq ?? after) - after > MAX_CATCH_UP) {
        await deps.load();
        return;
      }
      if (page.events && page.events.length) deps.apply(page.events);
      if (!page.has_more || deps.seq() === after) break;
    }
  }

  function run(kind) {
    if (running) {
      if (wanted !== 'reload') wanted = kind;
      return running;
    }
    running = (async () => {
      let job = kind;
      while (job) {
        wanted = null;
        try {
          if (job === 'reload') await deps.load();
          else await catchUp();
          retryMs = 1000;
          if (!drain()) wanted = wanted || 'catch-up';
          if (!wanted && target > deps.seq()) wanted = 'catch-up';
        } catch (error) {
          onError(error);
          // Try again later; REST may be back before the socket is.
          const retry = job;
          later(() => run(retry), retryMs);
          retryMs = Math.min(30_000, retryMs * 2);
          wanted = null;
        }
        job = wanted;
      }
      running = null;
    })();
    return running;
  }

  return {
    /** A stored event from the socket. */
    receive(event) {
      if (event == null || event.seq == null) return;
      target = Math.max(target, event.seq);
      const seq = deps.seq();
      if (event.seq <= seq) return;
      if (!running && event.seq === seq + 1) {
        deps.apply([event]);
        return;
      }
      buffer.push(event);
      if (!running) run(event.seq - seq > MAX_CATCH_UP ? 'reload' : 'catch-up');
    },
    /** The socket's hello: the server's seq when this socket joined. */
    hello(serverSeq) {
      const seq = deps.seq();
      target = Math.max(target, serverSeq);
      if (serverSeq < seq) return run('reload'); // the log went back: a new database
      if (serverSeq - seq > MAX_CATCH_UP) return run('reload');
      if (serverSeq > seq) return run('catch-up');
      return running || Promise.resolve();
    },
    /** Fetch what the log has after our seq (after our own write, or on a timer). */
    catchUp() {
      return run('catch-up');
    },
    /** Start over from /state/ (fell behind, or the filters changed). */
    reload() {
      return run('reload');
    },
    /** Note a seq the server has reached (e.g. from a write's answer). */
    expect(seq) {
      target = Math.max(target, seq);
      if (seq > deps.seq()) return run('catch-up');
      return running || Promise.resolve();
    },
    get busy() {
      return running != null;
    },
    get buffered() {
      return buffer.length;
    },
  };
}
