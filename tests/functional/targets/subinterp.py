"""The main thread and a named thread each run code in a subinterpreter of their own for
argv[1] seconds (default 1.5); argv[2] "ready" prints 'ready' as they start. A profiler must
weigh each OS thread once per sample (its stack in the main interpreter, continued by its
stack in the subinterpreter), not once per interpreter."""
import sys
import threading

try:
    import _interpreters as interpreters  # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters  # 3.8-3.12

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
CODE = """
import time
def sub_spin(end):
    while time.monotonic() < end: pass
sub_spin(time.monotonic() + %r)
"""


def run_in_sub(interp, seconds):
    run = getattr(interpreters, "run_string", None) or interpreters.exec
    run(interp, CODE % seconds)  # LINE run


def runner(made, seconds):
    interp = interpreters.create()
    made.set()
    run_in_sub(interp, seconds)
    interpreters.destroy(interp)


# each thread makes its own interpreter (3.12's run_string runs on the thread state of the
# thread that made it, gh-109860), one after the other: with the GIL shared (3.11 and before)
# one thread's import of site in a new interpreter can wait on a lock while the other spins
interp = interpreters.create()
made = threading.Event()
t = threading.Thread(target=runner, args=(made, SECONDS), name="sub-runner")
t.start()
made.wait()
if sys.argv[2:] == ["ready"]:
    print("ready", flush=True)
run_in_sub(interp, SECONDS)  # LINE module
t.join()
interpreters.destroy(interp)
