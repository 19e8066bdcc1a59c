"""The test app as wsgi.py gives it, unless the file named by $BROKEN_FLAG exists: then importing it
fails, as an app does after a bad deploy (for restarts whose successor cannot start)."""
import os

_flag = os.environ.get("BROKEN_FLAG")
if _flag and os.path.exists(_flag):
    raise RuntimeError("broken deploy: %s exists" % _flag)

from testapp import app  # noqa: E402,F401
