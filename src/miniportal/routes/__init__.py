"""The portal's routes, one module per area; `miniportal.app` includes every router."""
