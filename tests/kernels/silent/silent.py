# A kernel that starts and never answers: it reads nothing from the
# connection file and binds no socket, so kernel_info is never answered.
import sys
import time

print("silent kernel started with", sys.argv[1:], file=sys.stderr, flush=True)
time.sleep(600)
