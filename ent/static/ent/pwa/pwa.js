// The installable app, page side (ent/notify owns this file; the worker is /sw.js).
// - registers the service worker and tells it who is here: a signed-in page asks it
//   to refresh what it keeps offline, an anonymous page (signed out, session ended)
//   tells it to forget the account's pages;
// - offers "Add to home screen" once, discreetly; a dismissal is remembered;
// - turns push notifications on or off for this device ([data-webpush] blocks).
// Words come from data attributes set by the templates (gettext). No inline script.
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-worker]");
  if (!script || !("serviceWorker" in navigator)) { return; }
  var signedIn = script.getAttribute("data-signed-in") === "1";
  var DISMISSED = "ent-install-dismissed";

  function tell(worker, message) {
    if (worker) { worker.postMessage(message); }
  }

  navigator.serviceWorker.register(script.getAttribute("data-worker"), { scope: "/" }).then(function (registration) {
    return navigator.serviceWorker.ready.then(function (ready) {
      var worker = ready.active || registration.active;
      if (!signedIn) {
        tell(worker, { type: "signed-out" });
      } else if (navigator.onLine !== false) {
        tell(worker, { type: "sync", force: !navigator.serviceWorker.controller });
      }
    });
  }).catch(function () { /* no worker: the site works as before */ });

  // "Ajouter à l'écran d'accueil": offered once, on browsers that can install.
  window.addEventListener("beforeinstallprompt", function (event) {
    var stored = null;
    try { stored = window.localStorage.getItem(DISMISSED); } catch (e) { stored = "1"; }
    if (stored || !signedIn) { return; }
    event.preventDefault();
    var bar = document.createElement("div");
    bar.className = "install-offer msg";
    bar.setAttribute("role", "region");
    bar.setAttribute("aria-label", script.getAttribute("data-install-label") || "");
    var text = document.createElement("span");
    text.textContent = script.getAttribute("data-install-text") || "";
    var add = document.createElement("button");
    add.type = "button";
    add.textContent = script.getAttribute("data-install-button") || "";
    var later = document.createElement("button");
    later.type = "button";
    later.className = "link";
    later.textContent = script.getAttribute("data-install-later") || "";
    function done() {
      try { window.localStorage.setItem(DISMISSED, "1"); } catch (e) { /* private mode */ }
      if (bar.parentNode) { bar.parentNode.removeChild(bar); }
    }
    add.addEventListener("click", function () {
      event.prompt();
      done();
    });
    later.addEventListener("click", done);
    bar.appendChild(text);
    bar.appendChild(document.createTextNode(" "));
    bar.appendChild(add);
    bar.appendChild(document.createTextNode(" "));
    bar.appendChild(later);
    var main = document.getElementById("main");
    (main || document.body).appendChild(bar);
  });

  // Push notifications on this device.
  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || String(response.status)); }
        return data;
      });
    });
  }

  function setUpPush(block) {
    if (!("PushManager" in window) || !("Notification" in window)) { return; }
    var on = block.querySelector("[data-webpush-on]");
    var off = block.querySelector("[data-webpush-off]");
    var status = block.querySelector("[data-webpush-status]");
    var csrf = block.getAttribute("data-csrf");
    function show(subscribed, message) {
      on.hidden = subscribed;
      off.hidden = !subscribed;
      if (message !== undefined) { status.textContent = message; }
    }
    block.hidden = false;
    navigator.serviceWorker.ready.then(function (registration) {
      registration.pushManager.getSubscription().then(function (current) {
        show(Boolean(current));
        // Signed in again on this device: the server forgot the ended session's
        // subscription, so it is sent again.
        if (current) { post(block.getAttribute("data-subscribe-url"), csrf, current.toJSON()).catch(function () {}); }
      });
      on.addEventListener("click", function () {
        Notification.requestPermission().then(function (permission) {
          if (permission !== "granted") { throw new Error(block.getAttribute("data-denied")); }
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(block.getAttribute("data-key")),
          });
        }).then(function (subscription) {
          return post(block.getAttribute("data-subscribe-url"), csrf, subscription.toJSON());
        }).then(function () {
          show(true, block.getAttribute("data-done-on"));
        }).catch(function (error) {
          status.textContent = error.message || block.getAttribute("data-failed");
        });
      });
      off.addEventListener("click", function () {
        registration.pushManager.getSubscription().then(function (current) {
          if (!current) { return null; }
          var endpoint = current.endpoint;
          return current.unsubscribe().then(function () {
            return post(block.getAttribute("data-unsubscribe-url"), csrf, { endpoint: endpoint }).catch(function () {});
          });
        }).then(function () {
          show(false, block.getAttribute("data-done-off"));
        });
      });
    });
  }

  var blocks = document.querySelectorAll("[data-webpush]");
  for (var i = 0; i < blocks.length; i++) { setUpPush(blocks[i]); }
})();
