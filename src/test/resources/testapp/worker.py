"""A worker process for berth's tests: every 200 ms, a line with its type, instance and $GREETING."""
import os
import time

tick = 0
while True:
    print("%s.%s greeting=%s tick=%d" % (os.environ.get("BERTH_PROCESS_TYPE"), os.environ.get("BERTH_INSTANCE"),
                                         os.environ.get("GREETING", "-"), tick), flush=True)
    tick += 1
    time.sleep(0.2)
