# An event loop switching between many tasks, as an asyncio server does: each task's coroutine
# chain (task_root -> middle -> leaf) runs a little and suspends, thousands of times a second.
# A sampler that reads a coroutine's frame after its task suspended must neither report a stack
# cut off at the coroutine nor give it another task's callers.
import asyncio
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
TASKS = 40


async def leaf(i):
    total = 0
    for k in range(30 + i % 7):
        total += k * k
    await asyncio.sleep(0)
    return total


async def middle(i):
    total = 0
    for _ in range(3):
        total += await leaf(i)
    return total


async def task_root(i, end):
    total = 0
    while time.monotonic() < end:
        total += await middle(i)
    return total


async def main():
    end = time.monotonic() + DURATION
    if len(sys.argv) > 2:
        print(sys.argv[2], flush=True)
    await asyncio.gather(*(task_root(i, end) for i in range(TASKS)))


asyncio.run(main())
