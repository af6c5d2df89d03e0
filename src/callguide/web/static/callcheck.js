// Call check: progressive enhancement. Without this script the form posts and the page comes
// back with the check. With it, every change posts the same form with view=result and swaps in
// the result column the server renders from the same template, so this script holds no words.
(function () {
  "use strict";
  var form = document.getElementById("call-check-form");
  if (!form || !window.fetch || !window.FormData || !window.DOMParser || !window.URLSearchParams) return;
  var live = document.getElementById("call-check-live");
  var counter = 0, latest = 0;

  function current() { return document.getElementById("call-check-result"); }

  function swap(fresh) {
    var old = current(), more = old.querySelector("#cc-more");
    var freshMore = fresh.querySelector("#cc-more");
    if (more && more.open && freshMore) freshMore.setAttribute("open", "");  // keep what the handler opened
    fresh.setAttribute("data-updates", String(++counter));
    old.parentNode.replaceChild(document.importNode(fresh, true), old);
    live.textContent = fresh.getAttribute("data-live") || "";
  }

  // A request that fails (the service unreachable) must not leave the last check on screen as if
  // it were current: it could be milder than the answers now say. The words are the page's own.
  function notUpdated() {
    var old = current(), words = old.getAttribute("data-not-updated");
    var fresh = old.cloneNode(false);
    var heading = old.querySelector("#result-heading").cloneNode(true);
    var panel = document.createElement("div");
    panel.className = "govuk-panel cg-panel--not-updated cg-cc__panel";
    panel.id = "cc-panel";
    panel.setAttribute("data-state", "not-updated");
    var body = document.createElement("div");
    body.className = "govuk-panel__body cg-cc__headline";
    body.id = "cc-headline";
    body.textContent = words;
    panel.appendChild(body);
    fresh.appendChild(heading);
    fresh.appendChild(panel);
    fresh.setAttribute("data-live", words);
    swap(fresh);
  }

  function update() {
    var data = new FormData(form), mine = ++latest;
    data.append("view", "result");
    fetch("/call-check", {
      method: "POST", body: new URLSearchParams(data), headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) throw new Error("call check " + response.status);
      return response.text();
    }).then(function (html) {
      if (mine !== latest) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("call-check-result");
      if (!fresh) throw new Error("call check: no result in the answer");
      swap(fresh);
    }).catch(function () { if (mine === latest) notUpdated(); });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "INPUT") update();
  });
})();
