// Enhancement only: every page works without it. After a page answers a form (an error, a
// registration, a save, a search, another page of the list), focus moves to what it says, so
// that a screen reader reads it and the next Tab starts from there.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("error-summary") || document.querySelector("[data-focus]");
  if (target) target.focus();
});
