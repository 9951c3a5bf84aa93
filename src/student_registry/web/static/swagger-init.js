// Starts Swagger UI on /docs from a file, not an inline script, as the Content-Security-Policy
// allows scripts from this site only. "Authorize" takes an API token (Bearer).
// Swagger UI draws some controls without a name, and examples that scroll but take no focus:
// each time it draws, the server list and the parameters' lists get a label, and examples
// become focusable so that a keyboard can scroll them.
const label = (element, text) => {
  if (element && !element.hasAttribute("aria-label")) element.setAttribute("aria-label", text);
};
const labelServers = () => {
  label(document.getElementById("servers"), "Server");
  for (const select of document.querySelectorAll("tr[data-param-name] select")) {
    label(select, select.closest("tr").dataset.paramName);
  }
  for (const example of document.querySelectorAll(".highlight-code pre:not([tabindex]), pre.example:not([tabindex])")) {
    example.setAttribute("tabindex", "0");
  }
};

window.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("swagger-container");
  new MutationObserver(labelServers).observe(container, { childList: true, subtree: true });
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // The highlighter's colours (inline styles) fall under 4.5:1 on its dark background.
    syntaxHighlight: false,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
