"""Phases 33, 37: the HTTP tutor service, batching schedulers and security middlewares."""
