"""Accessibility basics: labels, announced errors, contrast, and a phone-width screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import ELOISE, LABELS, registration_form, seed_student

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea'
)].filter(el => ![...(el.labels || [])].some(label => label.textContent.trim()))
  .map(el => el.id || el.name || el.outerHTML)"""

# Text colour against what is painted behind it (translucent layers blended), as a WCAG ratio.
CONTRAST = """el => {
  const rgba = colour => {
    const [r, g, b, a = 1] = colour.match(/[\\d.]+/g).map(Number);
    return [r, g, b, a];
  };
  const luminance = ([r, g, b]) => {
    const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] === 1) break;
  }
  const back = layers.reverse().reduce(
    (under, [r, g, b, a]) => [r, g, b].map((v, i) => v * a + under[i] * (1 - a)),
    [255, 255, 255],
  );
  const [x, y] = [luminance(rgba(getComputedStyle(el).color)), luminance(back)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}"""


NO_HORIZONTAL_SCROLL = (
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


async def assert_every_control_is_labelled(page: Page) -> None:
    """Every visible form control of the page has a label with text."""
    assert await page.evaluate(UNLABELLED_CONTROLS) == [], page.url


async def test_every_input_has_a_label_on_every_page(page: Page, api: httpx.AsyncClient) -> None:
    await seed_student(api, **ELOISE)
    for url in ["/", "/?q=zzz", "/students/2024-0042", "/students/2024-0042/delete"]:
        await page.goto(url)
        await assert_every_control_is_labelled(page)
    await page.goto("/")
    await registration_form(page).get_by_role("button", name="Register").click()
    await assert_every_control_is_labelled(page)


async def test_errors_are_announced_and_tied_to_their_fields(page: Page) -> None:
    await page.goto("/")
    await registration_form(page).get_by_label("Email (optional)").fill("not-an-email")
    await registration_form(page).get_by_role("button", name="Register").click()

    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Please correct the following:")
    await expect(summary).to_be_focused()
    invalid = registration_form(page).locator("[aria-invalid=true]")
    names = [await field.get_attribute("name") for field in await invalid.all()]
    assert names == ["first_name", "last_name", "birth_date", "course", "email"]
    for field in await invalid.all():
        described_by = await field.get_attribute("aria-describedby")
        assert described_by, await field.get_attribute("name")
        message = page.locator(f"#{described_by}")
        await expect(message).to_be_visible()
        await expect(message).to_contain_text(LABELS[str(await field.get_attribute("name"))])
    await expect(page.locator("#email-error")).to_have_text(
        "Email must be a valid email address, like name@example.org"
    )
    await expect(summary.get_by_role("link")).to_have_count(5)

    await summary.get_by_role("link", name="Course is required").click()
    await expect(registration_form(page).get_by_label("Course")).to_be_focused()


async def low_contrast_text(page: Page) -> list[tuple[str, str, float]]:
    """Visible text of the page whose contrast is under WCAG AA's 4.5:1."""
    low = []
    for selector in ["label", "small", "td", "th", "a", "button", "p", "li", "h1", "h2"]:
        for element in await page.locator(selector).all():
            if await element.is_visible():
                ratio = await element.evaluate(CONTRAST)
                if ratio < 4.5:
                    low.append((selector, await element.inner_text(), round(ratio, 2)))
    return low


async def test_text_has_enough_contrast(page: Page, api: httpx.AsyncClient) -> None:
    await seed_student(api, **ELOISE)
    await page.goto("/?registered=2024-0042")
    assert await low_contrast_text(page) == []
    await registration_form(page).get_by_role("button", name="Register").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    assert await low_contrast_text(page) == []
    await page.goto("/students/2024-0042/delete")
    assert await low_contrast_text(page) == []


async def test_phone_width_needs_no_horizontal_scrolling(
    page: Page, api: httpx.AsyncClient, screenshot_path: Callable[[str], Path]
) -> None:
    await seed_student(api, **ELOISE)
    await seed_student(
        api,
        id="2024-0043-with-a-rather-long-identifier",
        first_name="Marie-Christine",
        last_name="de La Rochefoucauld-Montmorency",
        birth_date="2010-11-30",
        course="3eB",
        email="marie-christine.de-la-rochefoucauld@example.org",
    )
    await page.set_viewport_size({"width": 375, "height": 812})
    for url in ["/?registered=2024-0042", "/students/2024-0043-with-a-rather-long-identifier"]:
        await page.goto(url)
        assert await page.evaluate(NO_HORIZONTAL_SCROLL), url
    await page.goto("/")
    await registration_form(page).get_by_role("button", name="Register").click()
    assert await page.evaluate(NO_HORIZONTAL_SCROLL)

    await page.goto("/?registered=2024-0042")
    path = screenshot_path("main-page-phone")
    await page.screenshot(path=path, full_page=True)
    print(f"screenshot: {path}")
