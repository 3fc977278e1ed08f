// The guided tour: one step at a time from model.tour ({title, text, changes}); "show me"
// hands the step's changes to the page. The text is Markdown with **bold** only.

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
}

/** Paragraphs (blank-line separated) with **bold** as <strong>; everything else as text. */
export function renderBold(text) {
  return text.split(/\n\s*\n/).map((para) => {
    const html = escapeHtml(para.trim()).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
    return `<p>${html}</p>`;
  }).join("");
}

export class Tour {
  /** `onShow(changes)` applies a step's changes. */
  constructor(steps, onShow, start = 0) {
    this.steps = steps;
    this.onShow = onShow;
    this.el = {
      count: document.getElementById("tour-count"),
      title: document.getElementById("tour-title"),
      text: document.getElementById("tour-text"),
      back: document.getElementById("tour-back"),
      next: document.getElementById("tour-next"),
      show: document.getElementById("tour-show"),
    };
    this.el.back.addEventListener("click", () => this.go(this.index - 1));
    this.el.next.addEventListener("click", () => this.go(this.index + 1));
    this.el.show.addEventListener("click", () => this.onShow(this.steps[this.index].changes ?? {}));
    this.index = -1;
    this.go(start);
  }

  go(index) {
    const last = this.steps.length - 1;
    const i = Math.min(Math.max(index, 0), last);
    if (i === this.index) return;
    // keep the keyboard on a usable button when back/next becomes disabled
    const focused = document.activeElement;
    this.index = i;
    const step = this.steps[i];
    this.el.count.textContent = `step ${i + 1} of ${this.steps.length}`;
    this.el.title.textContent = step.title;
    this.el.text.innerHTML = renderBold(step.text);
    this.el.back.disabled = i === 0;
    this.el.next.disabled = i === last;
    if ((focused === this.el.back || focused === this.el.next) && focused.disabled) this.el.show.focus();
  }
}
