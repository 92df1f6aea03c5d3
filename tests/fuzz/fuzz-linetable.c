/* Harness: the three line-table decoders (linetable_line). Input: a format byte, the first
 * line and an instruction offset as little-endian int32, then the table. Besides the offset
 * given, every instruction of the table is decoded, as the walker would over a run. */
#include "config.h"

#include <string.h>

#include "attach/internal.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int32_t first, addrq;

        if (size < 9)
                return 0;
        enum py_linetable format = (enum py_linetable)(data[0] % 3);
        memcpy(&first, data + 1, 4);
        memcpy(&addrq, data + 5, 4);
        const uint8_t *tab = data + 9;
        size_t len = size - 9;

        (void)linetable_line(format, tab, len, first, addrq);
        for (int64_t a = -2; a < (int64_t)len * 2 + 4 && a < 1024; a += 2)
                (void)linetable_line(format, tab, len, first, a);
        return 0;
}
