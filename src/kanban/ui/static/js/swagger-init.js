// @ts-check
/** Starts Swagger UI on /api/v1/docs from a file (the CSP allows no inline script). */
/** @type {any} */ (window).SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
});
