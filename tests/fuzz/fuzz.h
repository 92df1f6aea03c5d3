#pragma once
/* The libFuzzer entry point every harness in tests/fuzz/ defines. Built with -fsanitize=fuzzer
 * it is driven by libFuzzer; otherwise replay.c's main() feeds it files (the regression
 * inputs and seeds, as a normal test). Harnesses return 0 and abort() on a broken invariant. */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
