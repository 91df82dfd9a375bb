// Short messages at the bottom of the board. Errors are announced at once
// (role="alert"); the rest politely.

export function createToaster(root) {
  return function toast(message, { kind = 'info', timeout = kind === 'error' ? 7000 : 4000 } = {}) {
    const item = document.createElement('div');
    item.className = `toast toast-${kind}`;
    item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    const text = document.createElement('span');
    text.textContent = message;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '×';
    const remove = () => {
      item.classList.add('toast-out');
      setTimeout(() => item.remove(), 200);
    };
    close.addEventListener('click', remove);
    item.append(text, close);
    root.append(item);
    while (root.children.length > 4) root.firstElementChild.remove();
    if (timeout) setTimeout(remove, timeout);
    return item;
  };
}
