// Call check: progressive enhancement. Without this script the form posts and the page comes
// back with the check; with it, every change asks POST /v1/call-checks and redraws the check.
(function () {
  "use strict";
  var form = document.getElementById("call-check-form");
  if (!form || !window.fetch) return;
  var result = document.getElementById("call-check-result");
  var live = document.getElementById("call-check-live");
  var numbers = { "incident.damage_value_gbp": 1, "missing.hours_absent": 1, "person.age": 1 };
  var thriveRows = [["threat", "Threat"], ["harm", "Harm"], ["risk", "Risk"], ["investigation", "Investigation"],
                    ["vulnerability", "Vulnerability"], ["engagement", "Engagement"]];
  var counter = 0;

  function body() {
    var data = {}, kindGiven = false, invalid = false;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.indexOf(".") < 0 || el.value.trim() === "") return;
      var parts = el.name.split("."), raw = el.value.trim(), value;
      if (numbers[el.name]) {
        value = Number(raw.replace(/[,£]/g, ""));
        if (!isFinite(value)) { invalid = true; return; }
      } else if (raw === "yes" || raw === "no") {
        value = raw === "yes";
      } else {
        value = raw;
      }
      if (el.name === "incident.kind") kindGiven = true;
      (data[parts[0]] = data[parts[0]] || {})[parts[1]] = value;
    });
    data.incident = data.incident || {};
    if (!kindGiven) data.incident.kind = "other";
    if (data.incident.kind !== "missing") delete data.missing;
    return { data: data, kindGiven: kindGiven, invalid: invalid };
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(check, kindGiven) {
    var keep = [document.getElementById("result-heading"), live];
    result.textContent = "";
    keep.forEach(function (n) { result.appendChild(n); });
    // No verdict while the check is still asking first: no data-recommendation then (CONTRACT).
    var panel = el("div", "govuk-panel cg-panel--" + (check.recommendation || "ask-first") + " govuk-!-padding-4");
    panel.id = "cc-panel";
    if (check.recommendation) panel.setAttribute("data-recommendation", check.recommendation);
    else panel.setAttribute("data-state", "ask-first");
    var title = el("p", "govuk-panel__title govuk-!-font-size-27", check.police_response.label);
    title.id = "cc-response";
    var head = el("div", "govuk-panel__body govuk-!-font-size-19", check.headline);
    head.id = "cc-headline";
    panel.appendChild(title); panel.appendChild(head);
    result.appendChild(panel);
    if (!kindGiven) {
      var note = el("p", "govuk-body-s", "What happened has not been chosen yet: checked as \u201csomething else\u201d.");
      note.id = "cc-kind-note";
      result.appendChild(note);
    }
    var what = el("p", "govuk-body", check.police_response.what_happens +
                  (check.police_response.follow_up ? " " + check.police_response.follow_up : ""));
    what.id = "cc-what-happens";
    result.appendChild(what);

    result.appendChild(el("h3", "govuk-heading-s", "Ask next"));
    var ol = el("ol", "govuk-list govuk-list--number"); ol.id = "cc-questions";
    if (!check.questions.length) ol.appendChild(el("li", "", "No further questions would change this."));
    check.questions.forEach(function (q) {
      var li = el("li");
      if (q.urgent) { li.appendChild(el("strong", "govuk-tag govuk-tag--red", "Ask first")); li.appendChild(document.createTextNode(" ")); }
      li.appendChild(document.createTextNode(q.ask + " "));
      li.appendChild(el("span", "govuk-body-s cg-source", q.why));
      ol.appendChild(li);
    });
    result.appendChild(ol);

    result.appendChild(el("h3", "govuk-heading-s", "Words to say"));
    var say = el("div", "cg-say"); say.id = "cc-say";
    check.say_to_caller.forEach(function (line) { say.appendChild(el("p", "govuk-body", line)); });
    result.appendChild(say);

    var th = el("h3", "govuk-heading-s govuk-!-margin-top-4", "THRIVE (grade: ");
    var grade = el("span", "", check.thrive.grade || "not yet"); grade.id = "cc-grade";
    th.appendChild(grade); th.appendChild(document.createTextNode(")"));
    result.appendChild(th);
    var table = el("table", "govuk-table cg-thrive"); table.id = "cc-thrive";
    table.appendChild(el("caption", "govuk-table__caption govuk-visually-hidden", "THRIVE summary"));
    var tbody = el("tbody", "govuk-table__body");
    thriveRows.forEach(function (row) {
      var tr = el("tr", "govuk-table__row");
      var h = el("th", "govuk-table__header", row[1]); h.setAttribute("scope", "row");
      var td = el("td", "govuk-table__cell", check.thrive[row[0]].summary); td.setAttribute("data-thrive", row[0]);
      tr.appendChild(h); tr.appendChild(td); tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    result.appendChild(table);

    var details = el("details", "govuk-details");
    var summary = el("summary", "govuk-details__summary");
    summary.appendChild(el("span", "govuk-details__summary-text", "Why, with sources"));
    var text = el("div", "govuk-details__text");
    var ul = el("ul", "govuk-list"); ul.id = "cc-reasons";
    check.rationale.forEach(function (r) {
      var li = el("li", "", r.because + " ");
      li.appendChild(el("span", "govuk-body-s cg-source", "(" + r.source + ")"));
      ul.appendChild(li);
    });
    text.appendChild(ul); details.appendChild(summary); details.appendChild(text);
    result.appendChild(details);
    live.textContent = "Check updated: " + check.police_response.label + ".";
    result.setAttribute("data-updates", String(++counter));
  }

  // A request that fails (an answer out of range, the service unreachable) must not leave the
  // last check on screen as if it were current: it could be milder than the answers now say.
  var NOT_UPDATED = "Not updated \u2013 check the answers and press Update the check";
  function notUpdated() {
    var keep = [document.getElementById("result-heading"), live];
    result.textContent = "";
    keep.forEach(function (n) { result.appendChild(n); });
    var panel = el("div", "govuk-panel cg-panel--not-updated govuk-!-padding-4");
    panel.id = "cc-panel";
    panel.setAttribute("data-state", "not-updated");
    var title = el("p", "govuk-panel__title govuk-!-font-size-27", "Not updated");
    title.id = "cc-response";
    var head = el("div", "govuk-panel__body govuk-!-font-size-19", NOT_UPDATED + ".");
    head.id = "cc-headline";
    panel.appendChild(title); panel.appendChild(head);
    result.appendChild(panel);
    live.textContent = NOT_UPDATED + ".";
    result.setAttribute("data-updates", String(++counter));
  }

  var latest = 0;
  function update() {
    var b = body(), mine = ++latest;
    if (b.invalid) { notUpdated(); return; }
    fetch("/v1/call-checks", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(b.data)
    }).then(function (response) {
      if (!response.ok) throw new Error("call check " + response.status);
      return response.json();
    }).then(function (check) { if (mine === latest) render(check, b.kindGiven); })
      .catch(function () { if (mine === latest) notUpdated(); });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "INPUT") update();
  });
})();
