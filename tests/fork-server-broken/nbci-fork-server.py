# A fork server that fails before it is ready, as one does when its
# Python cannot import ipykernel.
import sys

print("broken fork server: No module named 'ipykernel'", file=sys.stderr)
sys.exit(3)
