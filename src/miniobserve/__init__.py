"""Phase 34: metrics, tracing, structured logs and cost tracking for any Starlette/FastAPI app.

The bottom layer: it imports no package of ours, so the service (and anything else) can import it.
"""

from miniobserve.cost import CostTracker, Prices
from miniobserve.errors import ObserveError
from miniobserve.instrument import Observability, instrument
from miniobserve.logging import RequestIdMiddleware, configure_logging
from miniobserve.metrics import Metrics
from miniobserve.tracing import Tracing, setup_tracing, span

__all__ = [
    "CostTracker",
    "Metrics",
    "ObserveError",
    "Observability",
    "Prices",
    "RequestIdMiddleware",
    "Tracing",
    "configure_logging",
    "instrument",
    "setup_tracing",
    "span",
]
