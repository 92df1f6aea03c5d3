# Ten short threads one after another, each named and spinning ~50 ms in a method inherited
# from a base class; each measures its own spin, and the total goes to stderr.
import sys
import threading
import time

NAMES = ["cruncher-%s" % c for c in "ABCDEFGHI"] + ["cruncher-J-with-a-long-name"]
measured = []


class Base:
    def crunch(self, seconds):
        start = time.perf_counter()
        while time.perf_counter() - start < seconds: pass  # LINE crunch
        measured.append(time.perf_counter() - start)

    @classmethod
    def pause(cls, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end: pass  # LINE pause


class Sub(Base):
    pass


if len(sys.argv) > 1:
    print("ready", flush=True)
Sub.pause(0.05)  # LINE module
for name in NAMES:
    t = threading.Thread(target=Sub().crunch, args=(0.05,), name=name)
    t.start()
    t.join()
    time.sleep(0.03)
print("measured-spin %.6f" % sum(measured), file=sys.stderr)
