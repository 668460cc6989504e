(function () {
  "use strict";
  var issues = Array.prototype.slice.call(document.querySelectorAll(".seg.issue"));
  var help = document.getElementById("keys");
  function shown(el) { return el.offsetParent !== null; }
  function current(list) {
    var el = document.activeElement;
    var seg = el && el.closest ? el.closest(".seg.issue") : null;
    if (seg && list.indexOf(seg) >= 0) { return list.indexOf(seg); }
    var hash = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    return hash && list.indexOf(hash) >= 0 ? list.indexOf(hash) : -1;
  }
  function go(step) {
    var list = issues.filter(shown);
    if (!list.length) { return; }
    var i = current(list);
    var j = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
    var seg = list[j];
    seg.focus({preventScroll: true});
    seg.scrollIntoView({block: "center"});
    if (history.replaceState) { history.replaceState(null, "", "#" + seg.id); }
  }
  function follow(rel) {
    var a = document.querySelector('a[data-nav="' + rel + '"]');
    if (a) { location.href = a.href; }
  }
  function toggleIssues() {
    var issuesOnly = document.getElementById("show-issues");
    var all = document.getElementById("show-all");
    if (!issuesOnly || !all) { return; }
    (issuesOnly.checked ? all : issuesOnly).checked = true;
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    if (t && ((t.tagName === "INPUT" && t.type !== "radio") || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
              t.isContentEditable)) { return; }
    switch (e.key) {
      case "j": go(1); break;
      case "k": go(-1); break;
      case "n": follow("next"); break;
      case "p": follow("prev"); break;
      case "i": toggleIssues(); break;
      case "?": if (help) { help.open = !help.open; } break;
      default: return;
    }
    e.preventDefault();
  });
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[data-show]") : null;
    if (!a) { return; }
    var radio = document.getElementById("show-" + a.getAttribute("data-show"));
    if (radio) { radio.checked = true; }
  });
})();
