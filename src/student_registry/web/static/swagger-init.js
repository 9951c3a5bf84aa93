// Starts Swagger UI on /docs from a file, not an inline script, as the Content-Security-Policy
// allows scripts from this site only. "Authorize" takes an API token (Bearer).
window.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("swagger-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
