// A button marked data-copy="<input id>" copies that field's value (a new
// invitation's link, shown once) and says so. A file, not an inline handler: the
// Content-Security-Policy allows no inline script.
document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  const field = document.getElementById(button.getAttribute('data-copy'));
  if (!(field instanceof HTMLInputElement)) return;
  field.focus();
  field.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch {
    copied = document.execCommand && document.execCommand('copy');
  }
  const said = button.closest('[role=status]')?.querySelector('[data-copied]');
  if (said) {
    said.textContent = copied ? 'Copied.' : 'Press Ctrl+C (⌘C) to copy the selected link.';
    said.hidden = false;
  }
});
