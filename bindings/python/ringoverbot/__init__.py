"""ringoverbot: Python binding (ctypes) of the ringoverbot C ABI."""
from ._lib import RobError, strerror, version  # noqa: F401
from .webhook import *  # noqa: F401,F403
from .streamer import *  # noqa: F401,F403
from .audio import *  # noqa: F401,F403
from .providers import *  # noqa: F401,F403
from .agent import *  # noqa: F401,F403
from .server import *  # noqa: F401,F403
from .ringover_api import *  # noqa: F401,F403
from .workers import *  # noqa: F401,F403

__version__ = version()
