// Folded columns, remembered per board in this browser (localStorage).

export function createFolds(boardId) {
  const key = `funnelboard.folded.${boardId}`;
  return {
    /** The folded stage ids saved for ``state``'s board, else its default. */
    read(state, fallback) {
      try {
        const saved = JSON.parse(localStorage.getItem(key));
        if (Array.isArray(saved)) return new Set(saved.filter((id) => state.stages[id]));
      } catch {
        /* ignore */
      }
      return fallback(state);
    },
    save(folded) {
      try {
        localStorage.setItem(key, JSON.stringify([...folded]));
      } catch {
        /* private mode */
      }
    },
  };
}
