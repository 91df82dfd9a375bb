// A confirm dialog on the native <dialog>: focus is trapped, Escape cancels.

export function createConfirm(dialog) {
  const message = dialog.querySelector('[data-message]');
  const ok = dialog.querySelector('[data-confirm]');
  const cancel = dialog.querySelector('[data-cancel]');
  return function confirm(text, { confirmLabel = 'Confirm', detail = '' } = {}) {
    message.textContent = text;
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
