// The board's first load: retried with backoff while the server cannot answer
// (the page says so), then the board fitted to the window, the loading note
// gone, and the live link and the funnel figures started.

/** parts: {load(), view, socket, figures, loadingEl}; resolves once drawn. */
export async function startBoard({ load, view, socket, figures, loadingEl }) {
  for (let attempt = 0; ; attempt++) {
    try {
      await load();
      break;
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        loadingEl.textContent = 'You are signed out. Reload the page to sign in again.';
        throw error;
      }
      loadingEl.textContent = `Could not load the board (${error.message}). Trying again…`;
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
    }
  }
  view.fit(); // many stages on a small window: zoom out until the board fits
  await new Promise((r) => requestAnimationFrame(() => r()));
  loadingEl.remove();
  document.body.dataset.boardReady = '1';
  window.funnelboard.firstDrawMs = Math.round(performance.now());
  socket.start();
  figures.load();
}
