// Enhancement only: every page works without it. Moves focus to the error summary.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
