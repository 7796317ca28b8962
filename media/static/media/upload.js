// Direct upload with a progress bar: the file goes from the browser straight to
// the object store (presigned PUT), never through the web server. Without
// JavaScript the same form posts the file to the server, which streams it.
(function () {
  "use strict";
  var HASH_LIMIT = 256 * 1024 * 1024; // hashing needs the whole file in memory: only below this

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function sha256(file) {
    if (!window.crypto || !window.crypto.subtle || file.size > HASH_LIMIT) {
      return Promise.resolve("");
    }
    return file.arrayBuffer().then(function (buf) {
      return window.crypto.subtle.digest("SHA-256", buf);
    }).then(function (digest) {
      return Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    }).catch(function () { return ""; });
  }

  function postForm(url, form, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(form), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var message = body.error || form.dataset.genericError || "Error";
          if (body.fields) {
            Object.keys(body.fields).forEach(function (name) {
              message += " " + body.fields[name].join(" ");
            });
          }
          throw new Error(message);
        }
        return body;
      });
    });
  }

  function put(url, file, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { onProgress(event.loaded / event.total); }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) { resolve(); } else { reject(new Error("HTTP " + xhr.status)); }
      });
      xhr.addEventListener("error", function () { reject(new Error("network")); });
      xhr.addEventListener("abort", function () { reject(new Error("aborted")); });
      xhr.send(file);
    });
  }

  function enhance(form) {
    var fileInput = form.querySelector("input[type=file]");
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    var percent = box && box.querySelector("[data-upload-percent]");
    var errorBox = form.querySelector("[data-upload-error]");
    var button = form.querySelector("button[type=submit]");
    if (!fileInput || !box || !window.fetch || !window.FormData) { return; }

    function show(p) {
      var value = Math.round(p * 100);
      bar.value = value;
      bar.textContent = value + " %";
      percent.textContent = value + " %";
    }

    function fail(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
      button.disabled = false;
    }

    form.addEventListener("submit", function (event) {
      var kind = form.querySelector("[name=kind]");
      var file = fileInput.files && fileInput.files[0];
      if (!file || (kind && kind.value === "link")) { return; } // plain post
      event.preventDefault();
      errorBox.hidden = true;
      button.disabled = true;
      box.hidden = false;
      show(0);
      sha256(file).then(function (digest) {
        var data = new FormData(form);
        data.delete(fileInput.name);
        data.append("filename", file.name);
        data.append("size", String(file.size));
        data.append("sha256", digest);
        if (form.dataset.item) { data.append("item", form.dataset.item); }
        return postForm(form.dataset.uploadStart, form, data);
      }).then(function (started) {
        return put(started.put_url, file, show).then(function () {
          show(1);
          return postForm(started.finish_url, form, new FormData());
        });
      }).then(function (done) {
        window.location.assign(done.item_url);
      }).catch(function (error) {
        fail(error.message);
      });
    });
  }

  document.querySelectorAll("form[data-upload-start]").forEach(enhance);
}());
