// the contract served by this gateway (/openapi.json); offline: no validator badge, nothing fetched elsewhere
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#api", deepLinking: true, validatorUrl: null,
  persistAuthorization: false});
