"""The admin UI: server-rendered pages for operators (Jinja2, a few lines of plain JS)."""
