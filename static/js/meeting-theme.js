// The meeting view's theme before the first paint: a classic script loaded by the
// page's <head> (no inline script under the Content-Security-Policy); meeting.js
// keeps it in step afterwards.
try {
  document.documentElement.dataset.theme = localStorage.getItem('funnelboard.meeting.theme') === 'dark' ? 'dark' : 'light';
} catch (e) {
  document.documentElement.dataset.theme = 'light';
}
