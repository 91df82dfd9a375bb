// A confirm dialog on the native <dialog>: focus is trapped, Escape cancels.

export function createConfirm(dialog) {
  const message = dialog.querySelector('[data-message]');
  const ok = dialog.querySelector('[data-confirm]');
  const cancel = dialog.querySelector('[data-cancel]');
  return function confirm(text, { confirmLabel = 'Confirm', cancelLabel = 'Cancel', detail = '' } = {}) {
    message.textContent = text;
    cancel.textContent = cancelLabel;
    const note = dialog.querySelector('[data-detail]');
    note.textContent = detail;
    note.hidden = !detail;
    ok.textContent = confirmLabel;
    return new Promise((resolve) => {
      const done = (answer) => {
        ok.removeEventListener('click', yes);
        cancel.removeEventListener('click', no);
        dialog.removeEventListener('cancel', no);
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      const yes = () => done(true);
      const no = (e) => {
        if (e) e.preventDefault();
        done(false);
      };
      ok.addEventListener('click', yes);
      cancel.addEventListener('click', no);
      dialog.addEventListener('cancel', no);
      dialog.showModal();
      ok.focus();
    });
  };
}

/**
 * The dialog a drop into a closing stage opens: a lost stage asks why (one of the
 * board's lost reasons, an optional note), Won asks to confirm the deal's value.
 * Resolves {reason, note, value} on Confirm, null on Cancel or Escape (the caller
 * then puts the card back and writes nothing).
 */
export function createCloseDialog(dialog) {
  const form = dialog.querySelector('form');
  const title = dialog.querySelector('[data-title]');
  const select = dialog.querySelector('[data-reason]');
  const value = dialog.querySelector('[data-value]');
  const note = dialog.querySelector('[data-note]');
  const rows = {
    reason: dialog.querySelector('[data-reason-row]'),
    value: dialog.querySelector('[data-value-row]'),
    note: dialog.querySelector('[data-note-row]'),
  };
  const ok = dialog.querySelector('[data-confirm]');
  const cancel = dialog.querySelector('[data-cancel]');
  return function ask({ kind, text, reasons = [], amount = null, confirmLabel = 'Confirm' }) {
    const lost = kind === 'lost';
    title.textContent = text;
    rows.reason.hidden = !lost;
    rows.note.hidden = !lost;
    rows.value.hidden = lost;
    select.required = lost; // a hidden required field would block Won's confirm
    select.replaceChildren(...reasons.map((label) => new Option(label, label)));
    note.value = '';
    value.value = amount == null ? '' : String(amount);
    ok.textContent = confirmLabel;
    return new Promise((resolve) => {
      const done = (answer) => {
        form.removeEventListener('submit', yes);
        cancel.removeEventListener('click', no);
        dialog.removeEventListener('cancel', no);
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      const yes = (e) => {
        e.preventDefault();
        done(lost ? { reason: select.value, note: note.value.trim() } : { value: value.value });
      };
      const no = (e) => {
        if (e) e.preventDefault();
        done(null);
      };
      form.addEventListener('submit', yes);
      cancel.addEventListener('click', no);
      dialog.addEventListener('cancel', no);
      dialog.showModal();
      (lost ? select : value).focus();
    });
  };
}
