"""The admin's pages, one module each, every route under /admin (kassa.admin.routes)."""
