/* Test driver: decode line numbers with attach/linetable.c for tables given on stdin.
 * Each input line: FORMAT FIRSTLINENO HEX ADDRQ... (FORMAT 0 lnotab, 1 3.10, 2 locations);
 * each output line: the decoded line for each ADDRQ. check-linetable.py compares the output
 * with what the interpreter itself says (PyCode_Addr2Line). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/internal.h"

int
main(void)
{
        char *line = NULL;
        size_t cap = 0;

        while (getline(&line, &cap, stdin) > 0) {
                char *save = NULL, *tok;
                int fmt = atoi(strtok_r(line, " \n", &save));
                int first = atoi(strtok_r(NULL, " \n", &save));
                char *hex = strtok_r(NULL, " \n", &save);
                size_t n = strcmp(hex, "-") ? strlen(hex) / 2 : 0;
                uint8_t *tab = malloc(n + 1);

                for (size_t i = 0; i < n; i++)
                        sscanf(hex + 2 * i, "%2hhx", &tab[i]);
                while ((tok = strtok_r(NULL, " \n", &save)))
                        printf("%d ", linetable_line((enum py_linetable)fmt, tab, n, first,
                                                     strtoll(tok, NULL, 10)));
                printf("\n");
                free(tab);
        }
        free(line);
        return 0;
}
