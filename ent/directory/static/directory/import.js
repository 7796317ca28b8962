// Import progress: poll the job's status and update the bar; reload the page
// once the preview or the apply is done. Without JavaScript the page has a
// "Refresh" button doing the same.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("import-bar");
  var count = document.getElementById("import-count");
  var url = box.getAttribute("data-status-url");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return setTimeout(tick, 3000); }
        bar.value = data.percent;
        bar.textContent = data.percent + " %";
        if (count) {
          count.textContent = data.processed + " / " + data.total;
        }
        if (data.running) { setTimeout(tick, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 500);
})();
