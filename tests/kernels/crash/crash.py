# A kernel that exits during start-up with status 7 and a message on
# stderr, as a kernel with a missing module does.
import sys

print("crash kernel: cannot start: the module 'missing' was not found", file=sys.stderr)
sys.exit(7)
