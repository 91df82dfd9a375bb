// On a narrow screen (a phone) the toolbar, the side panel and the time bar fold
// into a menu: the "☰ More" button in the top bar opens them as a sheet over the
// board and closes it again (Escape too). Closed when the page opens. The CSS
// (board.css, "Phones") decides what folds; on a wide screen the button is not
// shown and the class it sets changes nothing.

export function createMenu({ button = document.getElementById('menu-toggle'), body = document.body } = {}) {
  if (!button) return {};
  const isOpen = () => body.classList.contains('menu-open');
  function setOpen(open) {
    body.classList.toggle('menu-open', open);
    button.setAttribute('aria-expanded', String(open));
    button.querySelector('[data-label]').textContent = open ? 'Close' : 'More';
    button.querySelector('[data-icon]').textContent = open ? '✕' : '☰';
    // The panel's charts, not drawn while folded away (panels/panel.js), draw now at the sheet's width.
    if (open) window.dispatchEvent(new Event('resize'));
  }
  setOpen(false);
  button.addEventListener('click', () => setOpen(!isOpen()));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && isOpen()) setOpen(false);
  });
  return { open: () => setOpen(true), close: () => setOpen(false), get isOpen() { return isOpen(); } };
}
