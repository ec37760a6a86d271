"""incubator-rules as an HTTP service (the ``server`` extra): ``incubator-rules serve``, or ``create_app`` for any ASGI server.

See docs/service.md for the endpoints, the error format and the decision log.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from .app import ServiceConfig, create_app
from .catalog import Catalog

__all__ = ["Catalog", "ServiceConfig", "create_app", "serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, config: ServiceConfig | None = None, log_level: str = "info") -> None:
    """Run the service until interrupted; port 0 takes a free port. The address served is printed first."""
    app = create_app(config)  # a policy file that does not load stops the start here, before any port is taken
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, or asyncio leaves Nagle on for the accepted connections (40 ms per keep-alive response)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"incubator-rules: serving http://{shown}:{bound} (docs at /docs)", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, server_header=False))
    server.run(sockets=[sock])
