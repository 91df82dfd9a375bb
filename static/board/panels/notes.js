// A lead's notes in its drawer (panels/drawer.js mounts this): the list with
// author and time, a form to add one, edit and delete for its author while
// leads.rules allows. The interface the drawer uses:
//   mountNotes(container, { board, leadId }) -> { event(storedEvent), destroy() }
// ``board`` is featureBoard's object (api, me, state, toast); ``event`` gets every
// live stored event (note.created/updated/deleted of this lead among them).
// Interface only for now: the notes work fills it in.

export function mountNotes(container) {
  return {
    event() {},
    destroy() {
      container.replaceChildren();
    },
  };
}
