// Live messaging on top of pages that work without JavaScript.
// Listens to the `ent:socket` events of ent/static/ent/socket.js (one socket per
// page), sends actions with `ent:socket-send`. On every (re)connection it asks for
// what it missed since the last message id it saw: the database is the truth,
// pushes are only hints. No inline script (CSP), ES5 for old browsers.
(function () {
  "use strict";
  var list = document.getElementById("messages");
  var inbox = document.getElementById("inbox-list");
  if (!list && !inbox) { return; }

  var conversationId = list ? parseInt(list.getAttribute("data-conversation"), 10) : null;
  var me = list ? parseInt(list.getAttribute("data-me"), 10) : null;
  var lastId = list ? parseInt(list.getAttribute("data-last-id"), 10) || 0 : 0;
  var connected = false;
  var openedBefore = false;
  var refs = 0;
  var pending = {};

  function t(name) { return list ? (list.getAttribute("data-t-" + name) || "") : ""; }

  function socketSend(frame) {
    var event;
    try {
      event = new CustomEvent("ent:socket-send", { detail: frame });
    } catch (e) {
      event = document.createEvent("CustomEvent");
      event.initCustomEvent("ent:socket-send", false, false, frame);
    }
    document.dispatchEvent(event);
  }

  function markRead(upTo) {
    if (conversationId && document.visibilityState !== "hidden") {
      socketSend({ action: "messaging.read", conversation: conversationId, up_to: upTo });
    }
  }

  function render(message) {
    var li = document.createElement("li");
    li.className = "message" + (message.author.id === me ? " mine" : "");
    li.id = "m" + message.id;
    li.setAttribute("data-id", String(message.id));
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("strong");
    who.textContent = message.author.name;
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" · "));
    var time = document.createElement("time");
    time.setAttribute("datetime", message.created_at);
    time.textContent = message.created_label;
    meta.appendChild(time);
    li.appendChild(meta);
    var body = document.createElement("div");
    fillBody(body, message);
    li.appendChild(body);
    if (message.author.id === me) {
      var receipt = document.createElement("p");
      receipt.className = "receipt muted";
      receipt.setAttribute("data-receipt", String(message.id));
      receipt.textContent = t("unread");
      li.appendChild(receipt);
    }
    return li;
  }

  function fillBody(body, message) {
    body.className = "body";
    if (message.hidden) {
      body.className = "muted";
      body.textContent = message.hidden === "author" ? t("deleted") : t("hidden");
      return;
    }
    // message.html went through the server's one sanitizer (ent/sanitize.py).
    body.innerHTML = message.html;
    if (message.attachments && message.attachments.length) {
      var ul = document.createElement("ul");
      ul.className = "attachments";
      for (var i = 0; i < message.attachments.length; i++) {
        var file = message.attachments[i];
        var item = document.createElement("li");
        // Only a file the antivirus offered gets a link (ent/files.py).
        var a = document.createElement(file.scan === "offered" ? "a" : "span");
        if (file.scan === "offered") { a.href = file.url; }
        a.textContent = file.name;
        item.appendChild(a);
        if (file.scan && file.scan !== "offered") {
          var state = document.createElement("span");
          state.className = "file-state " + file.scan;
          state.textContent = " " + t(file.scan === "infected" ? "file-infected" : "file-held");
          item.appendChild(state);
        }
        ul.appendChild(item);
      }
      body.appendChild(ul);
    }
  }

  function addMessage(message) {
    if (!list || message.conversation !== conversationId) { return; }
    if (document.getElementById("m" + message.id)) { return; }
    var empty = list.querySelector("li:not(.message)");
    if (empty) { list.removeChild(empty); }
    list.appendChild(render(message));
    if (!message.hidden) { addActions(message.id); }
    if (message.id > lastId) { lastId = message.id; list.setAttribute("data-last-id", String(lastId)); }
    if (message.author.id !== me) { markRead(message.id); }
  }

  // The message's actions (change, delete, report) as the server renders them
  // for this person, from the page's own template (messaging/_message.html),
  // with the page's CSRF token and the same rules as after a reload. Only the
  // actions are taken: the message itself is already shown and announced.
  function addActions(id) {
    var base = list.getAttribute("data-fragment-url");
    if (!base || !window.XMLHttpRequest) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", base.replace(/\/0\/$/, "/" + id + "/"));
    xhr.responseType = "document";
    xhr.onload = function () {
      var fresh = xhr.status === 200 && xhr.response ? xhr.response.getElementById("m" + id) : null;
      var actions = fresh ? fresh.querySelector(".message-actions") : null;
      var li = document.getElementById("m" + id);
      if (!actions || !li || li.querySelector(".message-actions")) { return; }
      li.appendChild(document.importNode(actions, true));
    };
    xhr.send();
  }

  // The message's own children only: the header (p.meta) holds a muted
  // "edited" label too, which a document-order querySelector would pick first.
  function childWith(li, test) {
    for (var node = li.firstElementChild; node; node = node.nextElementSibling) {
      if (test(node)) { return node; }
    }
    return null;
  }

  function hasClass(node, name) {
    return (" " + node.className + " ").indexOf(" " + name + " ") !== -1;
  }

  function updateMessage(message) {
    var li = document.getElementById("m" + message.id);
    if (!li) { return; }
    var body = childWith(li, function (node) {
      return hasClass(node, "body") || (hasClass(node, "muted") && !hasClass(node, "receipt") && !hasClass(node, "meta"));
    });
    if (!body) { return; }
    // The page lists attachments beside the body; fillBody puts them inside it.
    var files = childWith(li, function (node) { return hasClass(node, "attachments"); });
    if (files) { li.removeChild(files); }
    fillBody(body, message);
    var meta = childWith(li, function (node) { return hasClass(node, "meta"); });
    // The header's only muted element is the "edited" label.
    if (message.edited && meta && !meta.querySelector(".muted")) {
      var label = document.createElement("span");
      label.className = "muted";
      label.textContent = t("edited");
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(label);
    }
    if (message.hidden) {
      var actions = li.querySelector(".message-actions");
      if (actions) { actions.parentNode.removeChild(actions); }
    }
  }

  function receipt(frame) {
    if (frame.conversation !== conversationId) { return; }
    var nodes = list.querySelectorAll("[data-receipt]");
    for (var i = 0; i < nodes.length; i++) {
      var id = parseInt(nodes[i].getAttribute("data-receipt"), 10);
      if (id > frame.up_to) { continue; }
      var names = nodes[i].getAttribute("data-readers");
      names = names ? names.split("\n") : [];
      if (names.indexOf(frame.reader.name) === -1) { names.push(frame.reader.name); }
      nodes[i].setAttribute("data-readers", names.join("\n"));
      nodes[i].textContent = t("read-by") + " " + names.join(", ");
    }
  }

  function inboxMessage(frame) {
    if (!inbox) { return; }
    var item = inbox.querySelector("[data-conversation='" + frame.message.conversation + "']");
    if (!item) {
      refreshInbox();
    } else if (frame.message.author.id !== parseInt(inbox.getAttribute("data-me"), 10)) {
      item.className += item.className.indexOf("unread") === -1 ? " unread" : "";
    }
  }

  // A conversation the inbox does not show (a new one): fetch the list again as
  // the server renders it (escaped by its templates, no user text goes through
  // innerHTML here) and swap it in. One request at a time; a burst of pushes
  // while it runs costs one more request, not one each.
  var refreshing = false;
  var refreshAgain = false;

  function refreshInbox() {
    var url = inbox && inbox.getAttribute("data-refresh");
    if (!url || !window.XMLHttpRequest) { return; }
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.responseType = "document";
    xhr.onload = function () {
      // A login page (expired session) has no list: keep the one shown.
      var fresh = xhr.status === 200 && xhr.response ? xhr.response.getElementById("inbox-list") : null;
      if (fresh) { swapInbox(document.importNode(fresh, true)); }
      refreshDone();
    };
    xhr.onerror = refreshDone;
    xhr.send();
  }

  function refreshDone() {
    refreshing = false;
    if (refreshAgain) { refreshAgain = false; refreshInbox(); }
  }

  function swapInbox(fresh) {
    // Keep the keyboard focus on the same control (link or button) of the same conversation.
    var focused = document.activeElement;
    var key = null;
    if (focused && focused !== inbox && inbox.contains(focused)) {
      for (var node = focused; node !== inbox && !key; node = node.parentNode) {
        key = node.getAttribute("data-conversation");
      }
    }
    inbox.parentNode.replaceChild(fresh, inbox);
    inbox = fresh;
    var same = key && inbox.querySelector("[data-conversation='" + key + "'] " + focused.tagName.toLowerCase());
    if (same) { same.focus(); }
  }

  // The reply form goes over the socket when it is open and has no file.
  var form = document.getElementById("reply");
  var errorBox = null;
  if (form && list) {
    form.addEventListener("submit", function (event) {
      var text = form.querySelector("textarea");
      var files = form.querySelector("input[type=file]");
      if (!connected || !text || (files && files.files && files.files.length)) { return; }
      if (!text.value.replace(/\s+/g, "")) { return; }  // let the server explain
      event.preventDefault();
      refs += 1;
      var ref = "reply-" + refs;
      pending[ref] = text.value;
      socketSend({ action: "messaging.send", conversation: conversationId, body: text.value, ref: ref });
      text.value = "";
    });
  }

  function showError(message) {
    if (!form) { return; }
    if (!errorBox) {
      errorBox = document.createElement("div");
      errorBox.className = "msg error";
      errorBox.setAttribute("role", "alert");
      form.insertBefore(errorBox, form.firstChild.nextSibling);
    }
    errorBox.textContent = t("error") + " " + message;
  }

  document.addEventListener("ent:socket", function (event) {
    var frame = event.detail || {};
    switch (frame.type) {
      case "open":
        connected = true;
        if (list) { socketSend({ action: "messaging.catch_up", after: lastId }); }
        // Back after a cut: what arrived meanwhile is only in the database.
        if (inbox && openedBefore) { refreshInbox(); }
        openedBefore = true;
        break;
      case "close":
        connected = false;
        break;
      case "messaging.message":
        addMessage(frame.message);
        inboxMessage(frame);
        break;
      case "messaging.sent":
        if (frame.ref) { delete pending[frame.ref]; }
        if (errorBox) { errorBox.parentNode.removeChild(errorBox); errorBox = null; }
        addMessage(frame.message);
        break;
      case "messaging.missed":
        for (var i = 0; i < (frame.messages || []).length; i++) { addMessage(frame.messages[i]); }
        if (frame.more) { socketSend({ action: "messaging.catch_up", after: frame.last_id }); }
        break;
      case "messaging.receipt":
        if (list) { receipt(frame); }
        break;
      case "messaging.edited":
      case "messaging.hidden":
        updateMessage(frame.message);
        break;
      case "messaging.closed":
        if (form && frame.conversation === conversationId) { form.parentNode.removeChild(form); form = null; }
        break;
      case "error":
        if (frame.ref && pending[frame.ref] !== undefined) {
          var text = form && form.querySelector("textarea");
          if (text && !text.value) { text.value = pending[frame.ref]; }
          delete pending[frame.ref];
          showError(frame.error);
        }
        break;
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && lastId) { markRead(lastId); }
  });
})();
