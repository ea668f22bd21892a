"""HTTP API routers: thin translations between HTTP and the services."""
