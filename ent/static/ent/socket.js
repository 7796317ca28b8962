// Live updates over the WebSocket (ent/notify owns this file).
// Opens ws(s)://<host>/ws/, reconnects with backoff, keeps every
// [data-unread-count] element up to date, and re-dispatches every frame as an
// `ent:socket` CustomEvent on document (detail = the frame) for other features.
// Other scripts send with: document.dispatchEvent(new CustomEvent("ent:socket-send", {detail: {action: "..."}}))
// No dependency, no inline script (the CSP forbids them), ES5 for old browsers.
(function () {
  "use strict";
  if (!window.WebSocket || !document.querySelector) { return; }

  var UNAUTHENTICATED = 4401;
  var MIN_DELAY = 1000;
  var MAX_DELAY = 60000;
  var delay = MIN_DELAY;
  var socket = null;
  var timer = null;
  var stopped = false;
  var queue = [];

  function url() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + "/ws/";
  }

  function setUnread(count) {
    var nodes = document.querySelectorAll("[data-unread-count]");
    var text = count > 0 ? String(count) : "";
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = text;
      nodes[i].setAttribute("data-count", String(count));
    }
  }

  function emit(frame) {
    var event;
    try {
      event = new CustomEvent("ent:socket", { detail: frame });
    } catch (e) {
      // Old browsers without the CustomEvent constructor.
      event = document.createEvent("CustomEvent");
      event.initCustomEvent("ent:socket", false, false, frame);
    }
    document.dispatchEvent(event);
  }

  function send(frame) {
    var text = JSON.stringify(frame);
    if (socket && socket.readyState === 1) {
      socket.send(text);
    } else {
      queue.push(text);
    }
  }

  function schedule() {
    if (stopped || timer) { return; }
    // Full jitter: many pages reconnecting after a restart do not all come back at once.
    var wait = Math.round(delay / 2 + Math.random() * delay / 2);
    delay = Math.min(delay * 2, MAX_DELAY);
    timer = window.setTimeout(function () { timer = null; connect(); }, wait);
  }

  function connect() {
    if (stopped) { return; }
    try {
      socket = new WebSocket(url());
    } catch (e) {
      schedule();
      return;
    }
    socket.onopen = function () {
      delay = MIN_DELAY;
      while (queue.length && socket.readyState === 1) { socket.send(queue.shift()); }
      emit({ type: "open" });
    };
    socket.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (!frame || typeof frame !== "object") { return; }
      if (frame.type === "unread" && typeof frame.count === "number") { setUnread(frame.count); }
      emit(frame);
      // Signed out elsewhere (another device, the office, expiry): load the page
      // again, which now shows the login page instead of the person's data (a
      // shared computer must not keep showing it).
      if (frame.type === "session.ended") { stopped = true; window.location.reload(); }
    };
    socket.onclose = function (event) {
      socket = null;
      emit({ type: "close", code: event.code });
      // Signed out (or the session expired): retrying would not help.
      if (event.code === UNAUTHENTICATED) { stopped = true; return; }
      schedule();
    };
    socket.onerror = function () {
      // onclose follows and schedules the reconnection.
    };
  }

  document.addEventListener("ent:socket-send", function (event) {
    if (event.detail && typeof event.detail === "object") { send(event.detail); }
  });

  // A tab coming back from the background reconnects at once instead of waiting.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !socket && !stopped) {
      if (timer) { window.clearTimeout(timer); timer = null; }
      delay = MIN_DELAY;
      connect();
    }
  });

  window.entSocket = { send: send };
  connect();
})();
