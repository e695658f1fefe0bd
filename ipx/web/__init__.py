"""HTTP plumbing shared by the JSON API's blueprints: the Api, request checks, fields,
idempotency and the problem+json error handlers."""
