// Enhancement only: every page works without it. After a page answers a form (an error, a
// registration, a save, a search, another page of the list), focus moves to what it says, so
// that a screen reader reads it and the next Tab starts from there.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("error-summary") || document.querySelector("[data-focus]");
  if (target) target.focus();
});

// The guardians' rows: without script every empty row shows; with it, one empty row shows and
// "Add a guardian" reveals the next, up to the four the form has.
document.addEventListener("DOMContentLoaded", () => {
  for (const group of document.querySelectorAll("[data-guardians]")) {
    const button = group.querySelector("[data-add-guardian]");
    const empty = [...group.querySelectorAll("[data-empty-guardian]")];
    const spare = empty.slice(1);
    if (!button || spare.length === 0) continue;
    for (const fieldset of spare) fieldset.hidden = true;
    button.hidden = false;
    button.addEventListener("click", () => {
      const next = spare.shift();
      if (!next) return;
      next.hidden = false;
      next.querySelector("input")?.focus();
      if (spare.length === 0) button.hidden = true;
    });
  }
});
