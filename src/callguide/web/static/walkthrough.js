// The walkthrough's keys (issue 18): a presentation clicker sends PageDown/PageUp, a keyboard the
// arrows and space. Every stage is also a plain link, so the pages work without this script.
const stage = document.getElementById("stage");
const NEXT = new Set(["ArrowRight", "PageDown", " ", "n"]);
const PREVIOUS = new Set(["ArrowLeft", "PageUp", "p"]);

function typing(target) {
  return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON|SUMMARY)$/.test(target.tagName));
}

if (stage) {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || typing(event.target)) return;
    let url = null;
    if (NEXT.has(event.key)) {
      url = stage.dataset.next && stage.dataset.next + (stage.dataset.stage === "facts" ? "#answer" : "");
    } else if (PREVIOUS.has(event.key)) {
      url = stage.dataset.prev;
    }
    if (url) {
      event.preventDefault();
      window.location.assign(url);
    }
  });
  // After "Show the answer", move focus to the answer so a screen reader reads it next.
  if (window.location.hash === "#answer") document.getElementById("answer")?.focus();
}

document.getElementById("print")?.addEventListener("click", () => window.print());
