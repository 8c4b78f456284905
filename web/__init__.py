"""kracht in the browser and over HTTP: pages rendered on the server (Jinja2, htmx shipped in
static/), a JSON API under /api/v1, and sign-in, all over the same services as the command line.
Each request is a unit of work of the `web` or `api` channel, acting as the person signed in."""
