() => {
  // Everything visible that reaches past the viewport's right edge must sit in a box that scrolls
  // (class scrolls-x, set by bilingual.js) and shows a shadow cue; anything else is cut off or widens the page.
  const vw = document.documentElement.clientWidth;
  const bad = [];
  const name = (el) => `${el.tagName.toLowerCase()}${el.classList.length ? "." + el.classList[0] : ""}`;
  for (const e of document.querySelectorAll("body *")) {
    if (e.closest("mjx-assistive-mml")) continue;  // MathJax's clipped copy for screen readers
    if (!e.checkVisibility({ visibilityProperty: true })) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) continue;
    let a = e.parentElement, verdict = "widens the page";
    while (a && a !== document.documentElement) {
      const cs = getComputedStyle(a);
      if (cs.position === "fixed" && a.getBoundingClientRect().left >= vw - 1) { verdict = null; break; }  // an off-screen drawer
      if (cs.overflowX !== "visible" && r.right > a.getBoundingClientRect().right + 1) {
        verdict = a.classList.contains("scrolls-x") && cs.boxShadow !== "none" ? null : `cut off by ${name(a)}`;
        break;
      }
      a = a.parentElement;
    }
    if (verdict) bad.push(`${name(e)} (right edge ${Math.round(r.right)} px) ${verdict}`);
  }
  return { scrollWidth: document.documentElement.scrollWidth, viewport: vw, bad: bad.slice(0, 5), n: bad.length };
}
