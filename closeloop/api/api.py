"""Assembles every app's api.py under /api/v1."""

from ninja import NinjaAPI

api = NinjaAPI(title="closeloop API", version="1", urls_namespace="api")
