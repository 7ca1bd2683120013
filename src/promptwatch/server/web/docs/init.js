// Starts Swagger UI on the instance's own OpenAPI document; kept out of the page for the CSP (no inline script).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
