(function () {
  "use strict";
  var table = document.getElementById("articles-table");
  var controls = document.getElementById("controls");
  if (!table || !controls) { return; }
  var chunks = Array.prototype.slice.call(table.querySelectorAll(".chunk"));
  var rows = Array.prototype.slice.call(table.querySelectorAll(".art"));
  var size = chunks.length ? chunks[0].children.length : 0;
  var q = document.getElementById("q");
  var fVerdict = document.getElementById("f-verdict");
  var fLang = document.getElementById("f-lang");
  var fFlag = document.getElementById("f-flag");
  var shownCount = document.getElementById("shown");
  var texts = null;
  controls.hidden = false;
  var fallback = document.getElementById("nojs-filter");
  if (fallback) { fallback.hidden = true; }

  function tidyChunks() {
    chunks.forEach(function (c) {
      var any = false;
      for (var i = 0; i < c.children.length && !any; i++) { any = !c.children[i].hidden; }
      c.hidden = !any;
    });
  }

  function apply() {
    if (!texts) { texts = rows.map(function (r) { return r.textContent.toLowerCase(); }); }
    var terms = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var v = fVerdict.value, l = fLang.value, f = fFlag.value, n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!v || r.getAttribute("data-verdict") === v) && (!l || r.getAttribute("data-lang") === l) &&
        (!f || (" " + r.getAttribute("data-flags") + " ").indexOf(" " + f + " ") >= 0);
      for (var k = 0; ok && k < terms.length; k++) { ok = texts[i].indexOf(terms[k]) >= 0; }
      r.hidden = !ok;
      if (ok) { n++; }
    }
    tidyChunks();
    shownCount.textContent = n + " of " + rows.length + " articles shown";
  }

  function value(row, key, numeric) {
    if (key === "title") { return row.querySelector("a.article-link").textContent.toLowerCase(); }
    var raw = row.getAttribute("data-" + key);
    if (!numeric) { return raw || ""; }
    return raw === null || raw === "" ? null : parseFloat(raw);
  }

  function sortBy(button) {
    var header = button.closest("[role=columnheader]");
    var key = button.getAttribute("data-key");
    var numeric = button.getAttribute("data-type") === "number";
    var dir = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    if (!header.hasAttribute("aria-sort") && button.getAttribute("data-first") === "descending") { dir = -1; }
    var order = rows.map(function (r, i) { return [value(r, key, numeric), i, r]; });
    order.sort(function (a, b) {
      if (a[0] === b[0]) { return a[1] - b[1]; }
      if (a[0] === null) { return 1; }
      if (b[0] === null) { return -1; }
      return (numeric ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]))) * dir;
    });
    rows = order.map(function (o) { return o[2]; });
    texts = null;
    // back into the chunks, in the new order (each chunk is laid out only when on screen)
    chunks.forEach(function (c, k) {
      var frag = document.createDocumentFragment();
      rows.slice(k * size, (k + 1) * size).forEach(function (r) { frag.appendChild(r); });
      c.appendChild(frag);
    });
    tidyChunks();
    Array.prototype.forEach.call(table.querySelectorAll("[aria-sort]"), function (other) {
      other.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    document.getElementById("sort-status").textContent =
      "sorted by " + button.textContent.trim() + (dir === 1 ? ", ascending" : ", descending");
  }

  Array.prototype.forEach.call(table.querySelectorAll("[role=columnheader] button[data-key]"), function (b) {
    b.addEventListener("click", function () { sortBy(b); });
  });
  [q, fVerdict, fLang, fFlag].forEach(function (el) { el.addEventListener("input", apply); });
  document.getElementById("reset").addEventListener("click", function () {
    q.value = ""; fVerdict.value = ""; fLang.value = ""; fFlag.value = ""; apply();
  });

  function step(dir) {
    var visible = rows.filter(function (r) { return !r.hidden; });
    if (!visible.length) { return; }
    var el = document.activeElement;
    var row = el && el.closest ? el.closest(".art") : null;
    var i = visible.indexOf(row);
    var j = i < 0 ? 0 : Math.min(visible.length - 1, Math.max(0, i + dir));
    var link = visible[j].querySelector("a.article-link");
    if (link) { link.focus(); }
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
                       t.isContentEditable);
    if (e.key === "/" && !typing) { q.focus(); q.select(); e.preventDefault(); return; }
    if (e.key === "Escape" && t === q) { q.value = ""; apply(); return; }
    if (typing) { return; }
    if (e.key === "j") { step(1); e.preventDefault(); }
    if (e.key === "k") { step(-1); e.preventDefault(); }
  });
  if (q.value || fVerdict.value || fLang.value || fFlag.value) { apply(); }  // filters the browser restored
  else { shownCount.textContent = rows.length + " of " + rows.length + " articles shown"; }
})();
