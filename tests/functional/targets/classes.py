# Methods, a classmethod and a staticmethod: class names come from self/cls.
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


class Engine:
    def run(self, end):
        self.step(end)  # LINE run

    def step(self, end):
        Engine.tick(end)  # LINE step

    @classmethod
    def tick(cls, end):
        helper(end)  # LINE tick


def helper(end):
    while time.monotonic() < end: pass  # LINE helper


if len(sys.argv) > 2:
    print("ready", flush=True)
Engine().run(time.monotonic() + DURATION)  # LINE module
