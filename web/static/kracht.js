// kracht: every htmx request carries the session's form token (no inline script: the CSP forbids it).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});

// htmx would add its indicator rules as an inline <style>, which the CSP blocks (a console
// error on every page): kracht.css carries them instead. This file runs before htmx starts.
if (window.htmx) { htmx.config.includeIndicatorStyles = false; }
