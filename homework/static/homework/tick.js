// Ticks without a page reload. Without this script the same forms post and the
// page comes back: this only spares the round trip and keeps the focus in place.
(function () {
  "use strict";
  var status = document.getElementById("tick-status");
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-tick") || !window.fetch || !window.FormData) return;
    event.preventDefault();
    var button = form.querySelector("button");
    var input = form.querySelector("input[name=done]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (data) {
      input.value = data.done ? "0" : "1";
      button.classList.toggle("is-done", data.done);
      var label = button.getAttribute(data.done ? "data-label-done" : "data-label-todo");
      button.querySelector("[data-tick-label]").textContent = label;
      var item = form.closest(".work");
      if (item) item.classList.toggle("is-done", data.done);
      if (status) status.textContent = label;
    }).catch(function () {
      form.submit();  // fall back to the plain form
    }).finally(function () {
      button.disabled = false;
      button.focus();
    });
  });
})();
