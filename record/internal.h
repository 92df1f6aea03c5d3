#pragma once
/* Private to record/. */

#include "record.h"

/* sys.path and the prefixes as far as /proc tells them (the script's folder or the cwd, the
 * interpreter's library folders, VIRTUAL_ENV): what a session gets when the target's sys
 * module cannot be read. */
void env_guess(const struct target *t, struct target_sys *ret);
/* Put @sys into @s as its sys_path and sys_prefixes. */
void env_write(struct session *s, const struct target_sys *sys);

/* Have @r re-read @sys from its target now and then while it records (at its 1st, 2nd, 4th …
 * sample, then every 4096th), so that the last word is the running program's sys.path after
 * site and the program itself changed it. @sys is borrowed. */
void recorder_watch_sys(struct recorder *r, struct target_sys *sys);

/* Give the session the start_call_stack pyinstrument's loader needs (Session._trim_stem takes
 * its first entry; an empty list fails with "pop from an empty deque"): the root of the main
 * thread (else of the first thread) @r recorded, as pyinstrument's own starts at the thread
 * root. A root of one entry trims nothing. */
void recorder_set_start_stack(struct recorder *r);

/* Put the samples a thread left under a provisional root (Thread-<TID>, or its OS name, before
 * threading registered it) under the root it got its name in, so that a thread is one root:
 * counted once, its time in one place. A root that is also another thread's for good, or that
 * threads left for different names, stays. */
void recorder_fold_provisional(struct recorder *r);

/* The main thread's root stack in the session, SESSION_NO_STACK if it was not recorded or if
 * there were two (an exec not seen as one). */
uint32_t recorder_main_root(const struct recorder *r);

/* window.c: what the python process @pid runs, from its command line (a script, -m, -c), read
 * while it runs; NULL if that cannot be told. */
struct program;
struct program *record_program_of(pid_t pid);
void record_program_free(struct program *p);
DEFINE_CLEANUP_FUNC(struct program *, record_program_free)
/* Cut @s to the program's span as pyinstrument records it: the samples from the main thread's
 * first stack inside the program (its script's <module>, or below -m's runpy frames, which are
 * left out) to its last, its duration that span, and a start_call_stack that trims the stem to
 * the program's first frame. @return 1 cut; 0 left as it is (never inside the program). */
int record_cut_to_program(struct session *s, const struct program *p, uint32_t main_root);
