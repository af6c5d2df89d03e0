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
      url = stage.dataset.next && stage.dataset.next + (stage.dataset.stage === "facts" ? "#answer-heading" : "");
    } else if (PREVIOUS.has(event.key)) {
      url = stage.dataset.prev;
    }
    if (url) {
      event.preventDefault();
      window.location.assign(url);
    }
  });
  // Focus on the heading of what this stage has just shown (the step, the answer, the learning
  // points) rather than <body>, so a screen reader reads it next; the status line (role=status,
  // polite) says which stage this is. The words are the page's own.
  document.getElementById(stage.dataset.focus || "")?.focus();
  const status = document.getElementById("stage-status");
  if (status && status.dataset.announce) status.textContent = status.dataset.announce;
}

document.getElementById("print")?.addEventListener("click", () => window.print());
