// The page's own script, a file because the Content-Security-Policy allows no inline script.
// It keeps the Now panel live: the server's event stream says when a turn or the player changed
// something, and the panel is fetched again; a playing track's position is refreshed every 5 s.
(function () {
  "use strict";
  function refreshNow() {
    if (document.getElementById("now-panel") && window.htmx) {
      window.htmx.ajax("GET", "/now/panel", { target: "#now-panel", swap: "outerHTML" });
    }
  }
  if (window.EventSource) {
    new EventSource("/events").addEventListener("change", refreshNow);
  }
  setInterval(function () {
    var panel = document.getElementById("now-panel");
    if (panel && panel.dataset.playing === "1") refreshNow();
  }, 5000);
  // htmx's own requests carry the token as a header too (the forms already hold it).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
  });
})();
