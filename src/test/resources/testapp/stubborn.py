"""An app that makes stopping hard: it ignores SIGTERM, and so do two helpers it leaves behind:
one that left its process group (setsid), one that was orphaned (double fork) but kept the group.
Writes every pid to $PIDS_FILE, then answers every connection on $BERTH_SOCKET with an empty 200."""
import os
import signal
import socket
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
pids_file = os.environ["PIDS_FILE"]


def record(pid):
    # One write(2) of a whole line with O_APPEND: a reader never sees half of a line (it may see
    # fewer lines than three while the helpers start: it waits for all three).
    fd = os.open(pids_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"%d\n" % pid)
    finally:
        os.close(fd)


def linger():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(60)


if os.fork() == 0:          # left the group: a descendant, but in a session of its own
    os.setsid()
    record(os.getpid())
    linger()

if os.fork() == 0:          # orphaned: its parent exits, it is re-parented, it keeps the group
    if os.fork() == 0:
        record(os.getpid())
        linger()
    os._exit(0)

record(os.getpid())
server = socket.socket(socket.AF_UNIX)
server.bind(os.environ["BERTH_SOCKET"])
server.listen(16)
sys.stdout.write("stubborn: listening\n")
while True:
    conn, _ = server.accept()
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()
