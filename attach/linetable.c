/* Line-number decoders for the three CPython line-table formats. Pure functions over untrusted
 * bytes: every loop is bounded by the input length, never by values read from it.
 * Formats: Objects/lnotab_notes.txt of 3.8/3.9 (co_lnotab), of 3.10 (co_linetable), and
 * InternalDocs/locations.md / Objects/locations.md of 3.11+ (the location table). */
#include "config.h"

#include <limits.h>

#include "internal.h"

/* ≤3.9: (address delta, line delta) byte pairs; the line delta is signed since 3.6. The line
 * of byte offset a is the line after the last pair whose cumulative address is <= a. */
static int64_t
lnotab_line(const uint8_t *tab, size_t len, int64_t line, int64_t addrq)
{
        int64_t addr = 0;

        for (size_t i = 0; i + 1 < len; i += 2) {
                addr += tab[i];
                if (addr > addrq)
                        break;
                line += (int8_t)tab[i + 1];
        }
        return line;
}

/* 3.10: (address delta, line delta) pairs where each entry covers [start, start+delta) and a
 * line delta of -128 means "no line" for that range; the address still advances (py-spy's
 * drift bug, peers.md §2.5). */
static int64_t
linetable310_line(const uint8_t *tab, size_t len, int64_t line, int64_t addrq)
{
        int64_t start = 0;

        for (size_t i = 0; i + 1 < len; i += 2) {
                int64_t end = start + tab[i];
                int8_t ldelta = (int8_t)tab[i + 1];
                if (ldelta != -128)
                        line += ldelta;
                if (addrq >= start && addrq < end)
                        return ldelta == -128 ? -1 : line;
                start = end;
        }
        return -1;
}

static bool
read_varint(const uint8_t *tab, size_t len, size_t *i, uint32_t *ret)
{
        uint32_t v = 0;
        unsigned shift = 0;

        for (;;) {
                if (*i >= len || shift > 28)
                        return false;
                uint8_t b = tab[(*i)++];
                v |= (uint32_t)(b & 63) << shift;
                shift += 6;
                if (!(b & 64))
                        break;
        }
        *ret = v;
        return true;
}

static bool
read_svarint(const uint8_t *tab, size_t len, size_t *i, int32_t *ret)
{
        uint32_t u;

        if (!read_varint(tab, len, i, &u))
                return false;
        *ret = (u & 1) ? -(int32_t)(u >> 1) : (int32_t)(u >> 1);
        return true;
}

/* 3.11+: entries of 1CCCCLLL covering LLL+1 code units (2 bytes each). Like CPython's own
 * advance() (Objects/codeobject.c), only codes 13 and 14 carry a line delta to parse; the
 * next entry is the next byte with bit 7 set, which also resynchronises on garbage. */
static int64_t
locations_line(const uint8_t *tab, size_t len, int64_t line, int64_t addrq)
{
        int64_t addr = 0;
        size_t i = 0;

        while (i < len && (tab[i] & 0x80)) {
                uint8_t first = tab[i];
                int code = (first >> 3) & 15;
                int64_t end = addr + 2 * ((first & 7) + 1);
                int32_t delta = 0;
                size_t j = i + 1;

                if (code == 13 || code == 14) {
                        if (!read_svarint(tab, len, &j, &delta))
                                return -1;
                } else if (code >= 10 && code <= 12) {
                        delta = code - 10;
                }
                line += delta;
                if (addrq >= addr && addrq < end)
                        return code == 15 ? -1 : line;
                addr = end;
                for (i++; i < len && !(tab[i] & 0x80); i++)
                        ;
        }
        return -1;
}

int
linetable_line(
        enum py_linetable format, const uint8_t *tab, size_t len, int firstlineno, int64_t addrq)
{
        int64_t line = -1;

        if (!tab && len)
                return -1;
        /* PyCode_Addr2Line(): a negative offset (3.11/3.12 frames that have not started yet,
         * prev_instr = code - 1) maps to the first line */
        if (addrq < 0)
                return firstlineno;
        switch (format) {
        case PY_LINES_LNOTAB:
                line = lnotab_line(tab, len, firstlineno, addrq);
                break;
        case PY_LINES_310:
                line = linetable310_line(tab, len, firstlineno, addrq);
                break;
        case PY_LINES_LOCATIONS:
                line = locations_line(tab, len, firstlineno, addrq);
                break;
        }
        /* Deltas are summed in 64 bits (at most MAX_LINETABLE of them, each under 2^29), so a
         * garbage table cannot overflow; a line that does not fit an int is garbage too. */
        return line >= INT_MIN && line <= INT_MAX ? (int)line : -1;
}
