"""The front door: the start page at `/` and the API docs, served from kassa's own files so
that a machine without internet still shows them."""
