"""The programme's yearly documents and their charts, rendered from Jinja2 templates."""
