# Starts ipykernel after binding one port of the connection file itself
# on the first NBCI_TEST_PORT_TAKEN_FAILURES starts, so that the kernel
# fails with EADDRINUSE as it does when another process took the port.
# NBCI_TEST_PORT_TAKEN_KEY names the port's key, shell_port by default.
# ipykernel 6.17 exits when its shell port is taken but hangs when its
# iopub or hb port is. Each start appends the taken port's number to
# $NBCI_TEST_PORT_TAKEN_DIR/starts.
import json
import os
import socket
import sys

connection_file = sys.argv[1]
port_key = os.environ.get("NBCI_TEST_PORT_TAKEN_KEY", "shell_port")
with open(connection_file) as f:
    taken_port = json.load(f)[port_key]

starts_path = os.path.join(os.environ["NBCI_TEST_PORT_TAKEN_DIR"], "starts")
with open(starts_path, "a+") as f:
    f.seek(0)
    n_starts = len(f.readlines())
    f.write("%d\n" % taken_port)

if n_starts < int(os.environ.get("NBCI_TEST_PORT_TAKEN_FAILURES", "1")):
    # The socket stays bound across exec() and closes when the kernel exits.
    occupying_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    occupying_socket.bind(("127.0.0.1", taken_port))
    occupying_socket.listen(1)
    occupying_socket.set_inheritable(True)

os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file])
