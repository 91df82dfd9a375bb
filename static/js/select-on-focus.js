// Fields marked data-select-on-focus (a new webhook's secret, shown once) select
// their whole value on focus, ready to copy. Here, not in an inline onfocus=: the
// Content-Security-Policy allows no inline script.
document.addEventListener('focusin', (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute('data-select-on-focus')) field.select();
});
