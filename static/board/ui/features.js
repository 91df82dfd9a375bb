// Features around the canvas (side panel, time bar, export, import, handoff
// lane, meeting mode) each live in their own module. They get the board through
// ``board`` (featureBoard) and hear of changes through ``notify(name, ...)``,
// calling the feature's method of that name if it has one:
//   loaded(state)            the state was (re)loaded
//   events(events, effects)  live events were applied
//   filters(filters)         the filters changed
//   funnel(funnel)           fresh funnel figures for the headers
//   message(message)         an ephemeral socket message (import.progress, meeting.follow, ...)
//   asOf(moment)             the board now shows another moment (ISO string; null: live)
//   closed(code)             the live link was closed by the server (socket.js CLOSE)
//   selected(leadId)         the selected card changed (null: none)
// A feature that fails in one of them does not stop the others.

export function createFeatures() {
  const features = [];
  return {
    add(...more) {
      features.push(...more);
    },
    notify(name, ...args) {
      for (const feature of features) {
        if (typeof feature[name] !== 'function') continue;
        try {
          feature[name](...args);
        } catch (error) {
          console.error(`board feature failed in ${name}:`, error);
        }
      }
    },
  };
}

/** What a feature sees of the board: fixed parts, and the store's state read live. */
export function featureBoard({ store, config, canEdit, api, toast, confirm, announce, view, socket, notify, render, follow, travel, setFilters }) {
  return {
    id: config.board.id,
    config,
    me: config.me,
    /** May this browser edit now (me.may_edit; a member event can change it)? */
    get canEdit() {
      return canEdit();
    },
    api,
    toast,
    confirm,
    announce,
    view,
    socket,
    get state() {
      return store.state;
    },
    get filters() {
      return store.filters;
    },
    get columns() {
      return store.columns;
    },
    get funnel() {
      return store.funnel;
    },
    /** A drag is under way: heavy work (drawing the charts) waits for the drop. */
    get dragging() {
      return store.dragging;
    },
    setFilters: (next) => setFilters(next),
    /** Tell the other features (e.g. ``theme`` when the meeting view switches). */
    broadcast: (name, ...args) => notify(name, ...args),
    render,
    reload: () => follow.sync.reload(),
    /** The moment shown (ISO string), or null for the live board. */
    get asOf() {
      return store.asOf;
    },
    setAsOf: (moment) => travel.setAsOf(moment),
    playEvents: (events, moment, options) => travel.playEvents(events, moment, options),
    /** A write's answer came with its stored event (feedback, import): apply it. */
    applyAnswer: (event) => follow.applyAnswer(event),
  };
}
