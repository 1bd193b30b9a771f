# A kernel that starts and never replies: it reads nothing from the
# connection file and binds no socket, so no kernel_info_reply is sent.
import sys
import time

print("silent kernel started with", sys.argv[1:], file=sys.stderr, flush=True)
time.sleep(600)
