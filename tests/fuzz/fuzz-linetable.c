/* Harness: the three line-table decoders (linetable_line). Input: a format byte, the first
 * line and an instruction offset as little-endian int32, then the table. Besides the offset
 * given, instructions from before the first to past the last the table could cover are
 * decoded, as the walker would over a run: under libFuzzer 16 offsets spread evenly over that
 * range, since decoding every instruction made an execution quadratic in the table's length
 * (each decode walks the table from its start); the replay build (FUZZ_REPLAY) still decodes
 * every instruction of the seeds and regression inputs. */
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
        /* the last offset: past the end of code the table could describe (one instruction,
         * 2 bytes, per table byte at most, plus one), bounded as the old every-instruction
         * loop was */
        int64_t last = (int64_t)len * 2 + 2 < 1022 ? (int64_t)len * 2 + 2 : 1022;
        (void)linetable_line(format, tab, len, first, -2);
#ifdef FUZZ_REPLAY
        for (int64_t a = 0; a <= last; a += 2)
                (void)linetable_line(format, tab, len, first, a);
#else
        for (int64_t k = 0; k < 16; k++)
                (void)linetable_line(format, tab, len, first, (last * k / 15) & ~(int64_t)1);
#endif
        return 0;
}
