"""The glassnet playground: TensorFlow Playground's interactive network, trained by glassnet's engine.

``glassnet playground`` (or ``serve()``) starts a local web server and opens its page;
``Session`` is the state the page drives, usable on its own (see docs/playground.md).
"""

from glassnet.playground.server import Server, serve
from glassnet.playground.session import Session

__all__ = ["Server", "Session", "serve"]
