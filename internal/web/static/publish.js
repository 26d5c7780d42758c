// Publish form helpers. Optional: without JavaScript the forms post as
// they are and the server validates everything. This only checks the
// indicator value as it is typed (the same rules as the server's
// checkValue) and shows the bundle upload's progress.
"use strict";
(function () {
  var rules = {
    ipv4: [/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, "an IPv4 address"],
    ipv6: [/^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/, "an IPv6 address"],
    domain: [/^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/, "a domain name"],
    url: [/^(https?|ftp):\/\/[^\s\/?#]+[^\s]*$/, "an http, https or ftp URL"],
    email: [/^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/, "an e-mail address"],
    md5: [/^[0-9a-fA-F]{32}$/, "an MD5 hash (32 hex digits)"],
    sha1: [/^[0-9a-fA-F]{40}$/, "a SHA-1 hash (40 hex digits)"],
    sha256: [/^[0-9a-fA-F]{64}$/, "a SHA-256 hash (64 hex digits)"]
  };
  var kind = document.getElementById("kind");
  var value = document.getElementById("value");
  var msg = document.getElementById("value-msg");
  if (kind && value && msg) {
    var check = function () {
      var r = rules[kind.value], v = value.value.trim();
      var opt = kind.options[kind.selectedIndex];
      value.placeholder = opt ? opt.getAttribute("data-placeholder") || "" : "";
      if (v === "") { msg.textContent = ""; msg.className = "hint"; value.setCustomValidity(""); value.removeAttribute("aria-invalid"); return; }
      if (r && r[0].test(v)) {
        msg.textContent = "Looks like " + r[1] + "."; msg.className = "hint good";
        value.setCustomValidity(""); value.removeAttribute("aria-invalid");
      } else {
        msg.textContent = "Not " + (r ? r[1] : "a known value") + "."; msg.className = "hint bad";
        value.setCustomValidity(msg.textContent); value.setAttribute("aria-invalid", "true");
      }
    };
    kind.addEventListener("change", check);
    value.addEventListener("input", check);
    check();
  }
  var form = document.getElementById("bundle-form");
  var bar = document.getElementById("upload-progress");
  if (form && bar && window.XMLHttpRequest && window.FormData) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      bar.hidden = false;
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) { bar.value = Math.round(100 * ev.loaded / ev.total); }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status < 400 && xhr.responseURL.indexOf("/publish/status") >= 0) { window.location.assign(xhr.responseURL); } else { form.submit(); }
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.open("POST", form.action);
      xhr.send(new FormData(form));
    });
  }
})();
