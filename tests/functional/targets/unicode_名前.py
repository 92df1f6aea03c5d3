# Non-ASCII names: a Cyrillic function, a class with latin-1 letters, a CJK file name, and an
# astral-plane (UCS-4) identifier.
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


class Größe:
    def messen(self, end):
        функция(end)  # LINE messen


def функция(end):
    𠮷野家(end)  # LINE funktsiya


def 𠮷野家(end):
    while time.monotonic() < end: pass  # LINE astral


if len(sys.argv) > 2:
    print("ready", flush=True)
Größe().messen(time.monotonic() + DURATION)  # LINE module
