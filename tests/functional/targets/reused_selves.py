"""Objects of two classes of one size take turns at one address (pymalloc gives a freed block
to the next object of its size class): a method's frame is often copied just before its self
is freed and the other class's object put there. argv[1]: seconds."""
import sys, time

class Parser:
    def parse(self, n):
        s = 0
        for i in range(n):
            s += self.step(i)
        return s
    def step(self, i):
        return i * i

class Generator:
    def generate(self, n):
        s = 0
        for i in range(n):
            s += self.emit(i)
        return s
    def emit(self, i):
        return i + i

end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    for _ in range(50):
        Parser().parse(30)
        Generator().generate(30)
