"""The analyst's workspace: pages served at `/` that read the same `/api/v1` endpoints as
every other client. See pages.py."""
