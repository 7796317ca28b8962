// The ENT's service worker (ent/notify/pwa.py serves it at /sw.js, version {{ version }}).
//
// What it does, and only that:
// - keeps, per account, the pages chosen for reading offline (the homework week,
//   the inbox, the conversations read), fetched by itself while online; offline,
//   it shows them with a banner saying when they were fetched;
// - never queues a write: a form sent offline gets a page saying it needs the network;
// - forgets an account's pages when its session ends: the key of the cache is a
//   random value of the session (from the offline list), never the session key;
//   an anonymous page, a redirect to the login page or another key drops them
//   (signing out also sends Clear-Site-Data, which empties everything);
// - shows push notifications (ent/notify/webpush.py) and opens their link.
// The HTTP cache keeps no signed-in page (Cache-Control: no-store, ent/http.py):
// what is kept offline is only what this worker put in Cache Storage.
"use strict";

var CONFIG = {% autoescape off %}{{ config_json }}{% endautoescape %};
var VERSION = "{{ version }}";
var STATIC_CACHE = "ent-static-v" + VERSION;
var PAGES_PREFIX = "ent-pages-";
var META_CACHE = "ent-meta";
var META_URL = "/__ent_offline_meta__";
var FETCHED_AT = "X-ENT-Fetched-At";
var SYNC_EVERY_MS = 5 * 60 * 1000;

var meta = null; // {account, patterns, login, syncedAt}

function loadMeta() {
  if (meta) { return Promise.resolve(meta); }
  return caches.open(META_CACHE).then(function (cache) {
    return cache.match(META_URL);
  }).then(function (response) {
    return response ? response.json() : {};
  }).then(function (value) {
    meta = value || {};
    return meta;
  }).catch(function () {
    meta = {};
    return meta;
  });
}

function saveMeta(value) {
  meta = value;
  return caches.open(META_CACHE).then(function (cache) {
    return cache.put(META_URL, new Response(JSON.stringify(value), { headers: { "Content-Type": "application/json" } }));
  });
}

// Drop every account's pages but `keep` (none when keep is empty).
function dropPages(keep) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PAGES_PREFIX) === 0 && name !== PAGES_PREFIX + keep;
    }).map(function (name) { return caches.delete(name); }));
  });
}

function forgetAccount() {
  return dropPages("").then(function () { return saveMeta({}); });
}

function keep(cache, url, response) {
  // A copy stamped with the time it was fetched, for the offline banner.
  return response.clone().blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set(FETCHED_AT, new Date().toISOString());
    return cache.put(url, new Response(body, { status: response.status, headers: headers }));
  });
}

// Ask the server which account this is and what to keep, then fetch that.
function sync(force) {
  return loadMeta().then(function (current) {
    if (!force && current.syncedAt && Date.now() - current.syncedAt < SYNC_EVERY_MS) { return null; }
    // No redirect is ever followed here (see below): a staff member who must first
    // set up a second factor is sent to that page, which the worker must not load.
    return fetch(CONFIG.offlineList, { credentials: "same-origin", cache: "no-store", redirect: "manual" }).then(function (response) {
      if (!response.ok || response.type !== "basic") { return null; }
      return response.json().then(function (list) {
        if (!list.account) { return forgetAccount(); }
        var next = { account: list.account, patterns: list.patterns, login: list.login, syncedAt: Date.now() };
        return dropPages(list.account).then(function () { return saveMeta(next); }).then(function () {
          return caches.open(PAGES_PREFIX + list.account);
        }).then(function (cache) {
          return Promise.all(list.precache.map(function (path) {
            // Never follow a redirect: a page that sends the person elsewhere (the
            // login page, or the second-factor setup a staff member must finish
            // first) is not kept, and following it would load that page behind the
            // person's back: allauth draws a new authenticator secret on each visit
            // of its setup page, so the code of the one on screen would be refused.
            return fetch(path, { credentials: "same-origin", cache: "no-store", redirect: "manual" }).then(function (response) {
              if (response.ok && response.type === "basic") { return keep(cache, path, response); }
              return null;
            }).catch(function () { return null; });
          }));
        });
      });
    }).catch(function () { return null; });
  });
}

function kept(path) {
  var patterns = (meta && meta.patterns) || [];
  for (var i = 0; i < patterns.length; i++) {
    if (new RegExp(patterns[i]).test(path)) { return true; }
  }
  return false;
}

function words(lang) {
  return CONFIG.words[lang] || CONFIG.words.fr;
}

function two(n) { return (n < 10 ? "0" : "") + n; }

function bannerText(lang, fetchedAt) {
  var w = words(lang);
  var when = new Date(fetchedAt);
  var time = lang === "fr" ? when.getHours() + " h " + two(when.getMinutes()) : when.getHours() + ":" + two(when.getMinutes());
  if (when.toDateString() === new Date().toDateString()) { return w.banner.replace("%(time)s", time); }
  var date = when.toLocaleDateString(lang, { weekday: "long", day: "numeric", month: "long" });
  return w.banner_day.replace("%(date)s", date).replace("%(time)s", time);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

// The kept page, with the offline banner at the top of its content.
function offlineCopy(response) {
  var fetchedAt = response.headers.get(FETCHED_AT) || new Date().toISOString();
  return response.text().then(function (html) {
    var match = /<html[^>]*\slang="([a-z]{2})/.exec(html);
    var lang = match ? match[1] : "fr";
    var banner = '<div role="status" class="offline-banner"><ul class="messages"><li class="msg warning" data-offline-banner>' +
      escapeHtml(bannerText(lang, fetchedAt)) + "</li></ul></div>";
    var marker = '<main id="main" tabindex="-1">';
    html = html.indexOf(marker) >= 0 ? html.replace(marker, marker + banner) : html.replace(/<body[^>]*>/, function (b) { return b + banner; });
    // The kept headers (its Content-Security-Policy among them), less the length that changed.
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    headers.delete(FETCHED_AT);
    return new Response(html, { status: 200, headers: headers });
  });
}

function simplePage(lang, title, text, status) {
  var html = '<!DOCTYPE html><html lang="' + lang + '"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>' + escapeHtml(title) + " · ENT</title>" +
    '<link rel="stylesheet" href="' + CONFIG.stylesheet + '"></head><body><main id="main">' +
    '<h1>' + escapeHtml(title) + '</h1><div role="alert"><ul class="messages"><li class="msg warning" data-needs-network>' +
    escapeHtml(text) + "</li></ul></div></main></body></html>";
  return new Response(html, { status: status, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function language() {
  var lang = (self.navigator && self.navigator.language || "fr").slice(0, 2);
  return CONFIG.words[lang] ? lang : "fr";
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    return cache.addAll(CONFIG.staticFiles);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("ent-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "signed-out") {
    event.waitUntil(forgetAccount());
  } else if (data.type === "sync") {
    event.waitUntil(sync(Boolean(data.force)));
  }
});

function navigate(request, url) {
  return loadMeta().then(function () {
    return fetch(request).then(function (response) {
      // A navigation's redirect is opaque here: when the session ended, the login
      // page it lands on tells this worker (pwa.js, "signed-out").
      if (response.ok && meta.account && kept(url.pathname + url.search)) {
        var copy = response.clone();
        return caches.open(PAGES_PREFIX + meta.account).then(function (cache) {
          return keep(cache, url.pathname + url.search, copy);
        }).then(function () { return response; }, function () { return response; });
      }
      return response;
    }).catch(function () {
      var lang = language();
      var lookup = meta.account ? caches.open(PAGES_PREFIX + meta.account).then(function (cache) {
        return cache.match(url.pathname + url.search);
      }) : Promise.resolve(null);
      return lookup.then(function (response) {
        if (response) { return offlineCopy(response); }
        return simplePage(lang, words(lang).not_saved_title, words(lang).not_saved, 503);
      });
    });
  });
}

function write(request) {
  return fetch(request).catch(function () {
    var lang = language();
    var w = words(lang);
    if (request.mode === "navigate") { return simplePage(lang, w.needs_network_title, w.needs_network, 503); }
    return new Response(JSON.stringify({ error: w.needs_network }), {
      status: 503,
      headers: { "Content-Type": "application/json" },
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || CONFIG.passThrough.indexOf(url.pathname) >= 0) { return; }
  if (request.method !== "GET") {
    event.respondWith(write(request));
  } else if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  } else if (CONFIG.staticFiles.indexOf(url.pathname) >= 0) {
    // The offline pages' stylesheet and icon: the network first, the kept copy offline.
    event.respondWith(fetch(request).catch(function () {
      return caches.match(url.pathname).then(function (r) { return r || Response.error(); });
    }));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "ENT", {
    body: data.body || "",
    icon: CONFIG.icon,
    tag: data.tag,
    data: { url: data.url || "/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) { target = new URL("/", self.location.origin); }
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url === target.href && "focus" in list[i]) { return list[i].focus(); }
    }
    return self.clients.openWindow(target.href);
  }));
});
