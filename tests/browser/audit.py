"""axe-core in the page, from the copy vendored beside this file, and a focus-ring check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

RUN_AXE = """async tags => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + n.failureSummary),
  }));
}"""

# Whether the focused element shows a ring: a solid outline at least 2px wide. (Pico's own
# indicator on some controls is a faint translucent shadow, and none on others.)
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { ok: false, what: "body" };
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2
    && !/rgba\\(.*, 0\\)$/.test(s.outlineColor);
  const what = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + " " + (el.getAttribute("name") || el.textContent.trim().slice(0, 40));
  return { ok: outline, what };
}"""


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds on the page as it is now, one entry per rule broken."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: the page's CSP does not apply.
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    violations: list[dict[str, Any]] = await page.evaluate(RUN_AXE, TAGS)
    return violations


async def focused_without_ring(page: Page) -> str | None:
    """The focused element if it shows no focus ring, else None."""
    state: dict[str, Any] = await page.evaluate(FOCUS_RING)
    return None if state["ok"] else str(state["what"])
