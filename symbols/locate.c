/* Finding _PyRuntime (and Py_Version) in a live process from its ELF files.
 * Files are opened as the target sees them: /proc/PID/exe for the executable and
 * /proc/PID/root/<path> for libraries, so a target in another mount namespace (a container,
 * a chroot) works. The load bias is derived per file from the maps line whose file offset
 * matches a PT_LOAD segment: neither "the first line" nor "the r-x line" is reliable
 * (-z separate-code layouts begin with an r-- mapping). This file never reads target memory. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>

#include "common/xalloc.h"
#include "symbols.h"

struct elf_found {
        uint64_t runtime, runtime_size, py_version, code_type; /* link-time (st_value/sh_addr) */
        bool has_py_initialize; /* a Python of any age, even one with no _PyRuntime */
        uint32_t rodata_version;
};

/* PY_VERSION ("3.7.16", "3.13.0rc2") is a string literal in every build: take the first
 * NUL-delimited string of .rodata that looks like one. Used for the micro version of old
 * Pythons (2.7–3.10 have no Py_Version) and to name unsupported ones. */
static uint32_t
parse_version_literal(const char *s, size_t n)
{
        unsigned maj, min, mic;
        int used = 0;
        char tail[8] = "";

        if (n < 5 || n > 16 || (s[0] != '2' && s[0] != '3') || s[1] != '.')
                return 0;
        if (sscanf(s, "%1u.%2u.%2u%n", &maj, &min, &mic, &used) != 3)
                return 0;
        if ((size_t)used < n) {
                if (n - (size_t)used >= sizeof(tail))
                        return 0;
                memcpy(tail, s + used, n - (size_t)used);
                tail[n - (size_t)used] = '\0';
                unsigned serial = 0;
                unsigned level;
                if (tail[0] == '+' && !tail[1])
                        level = 0xf;
                else if (sscanf(tail, "a%u", &serial) == 1)
                        level = 0xa;
                else if (sscanf(tail, "b%u", &serial) == 1)
                        level = 0xb;
                else if (sscanf(tail, "rc%u", &serial) == 1)
                        level = 0xc;
                else
                        return 0;
                return maj << 24 | min << 16 | mic << 8 | level << 4 | (serial & 0xf);
        }
        return maj << 24 | min << 16 | mic << 8 | 0xf0;
}

/* Linkers merge string literals into the tails of longer ones ("3.8.18" inside
 * ".../Python-3.8.18"), so a literal is also looked for at the end of every string, after a
 * character that cannot be part of it. With @expect (major.minor from the file name), only a
 * matching version is taken. */
static uint32_t
scan_rodata(Elf_Data *data, uint32_t expect)
{
        const char *p, *end;

        if (!data || !data->d_buf)
                return 0;
        p = data->d_buf;
        end = p + data->d_size;
        while (p < end) {
                const char *z = memchr(p, '\0', (size_t)(end - p));
                size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
                /* a version literal ends in a digit or '+': most strings are passed at once */
                if (n < 5 || (!isdigit((unsigned char)p[n - 1]) && p[n - 1] != '+')) {
                        p += n + 1;
                        continue;
                }
                for (size_t k = 5; k <= 16 && k <= n; k++) {
                        const char *c = p + n - k;
                        if (c > p && (isdigit((unsigned char)c[-1]) || c[-1] == '.'))
                                continue;
                        uint32_t v = parse_version_literal(c, k);
                        if (v && (!expect || (v >> 16) == (expect >> 16)))
                                return v;
                }
                p += n + 1;
        }
        return 0;
}

static void
elf_endp(Elf **e)
{
        if (*e)
                (void)elf_end(*e);
}

/* Symbols are looked up in .symtab (unstripped builds) and .dynsym (python is linked with
 * -export-dynamic, so _PyRuntime survives strip). Undefined entries are imports: skip them. */
/* One pass over the sections: .PyRuntime, .rodata's version literal (@expect != 0), and the
 * symbol tables of type @symtype. */
static void
scan_pass(Elf *elf, bool rodata, uint32_t expect, Elf64_Word symtype, struct elf_found *f)
{
        Elf_Scn *scn = NULL;

        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                Elf_Data *data;
                size_t shstrndx;

                if (!gelf_getshdr(scn, &sh))
                        continue;
                if (sh.sh_type == SHT_PROGBITS && elf_getshdrstrndx(elf, &shstrndx) == 0) {
                        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
                        /* 3.10+ place _PyRuntime in its own section (Include/internal/
                         * pycore_runtime.h: GENERATE_DEBUG_SECTION / _PyRuntime_SECTION) */
                        if (name && !strcmp(name, ".PyRuntime") && !f->runtime) {
                                f->runtime = sh.sh_addr;
                                f->runtime_size = sh.sh_size;
                        }
                        if (rodata && name && !strcmp(name, ".rodata") && !f->rodata_version)
                                f->rodata_version = scan_rodata(elf_getdata(scn, NULL), expect);
                }
                if (sh.sh_type != symtype)
                        continue;
                if (!sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
                        continue;
                size_t n = sh.sh_size / sh.sh_entsize;
                for (size_t i = 0; i < n; i++) {
                        GElf_Sym sym;
                        if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
                            !sym.st_value)
                                continue;
                        const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
                        if (!name || (name[0] != '_' && name[0] != 'P'))
                                continue;
                        if (!strcmp(name, "_PyRuntime")) {
                                f->runtime = sym.st_value;
                                f->runtime_size = sym.st_size;
                        } else if (!strcmp(name, "Py_Version")) {
                                f->py_version = sym.st_value;
                        } else if (!strcmp(name, "PyCode_Type")) {
                                f->code_type = sym.st_value;
                        } else if (!strcmp(name, "Py_Initialize")) {
                                f->has_py_initialize = true;
                        }
                }
        }
}

/* .dynsym is small and has every exported symbol we use (python is linked -export-dynamic);
 * the much larger .symtab is read only when it does not; .rodata only without Py_Version
 * (≤3.10), for the micro version. This keeps attach fast on a big libpython. */
static void
scan_symbols(Elf *elf, uint32_t expect, struct elf_found *f)
{
        scan_pass(elf, false, 0, SHT_DYNSYM, f);
        if (!f->runtime || !f->code_type)
                scan_pass(elf, false, 0, SHT_SYMTAB, f);
        if (!f->py_version)
                scan_pass(elf, true, expect, SHT_NULL, f);
}

/* The bias of the mapped image: for a PT_LOAD at file offset O and address V, a maps line for
 * this file with offset O rounded down to a page starts at V (rounded down) + bias. */
static int
load_bias(Elf *elf, const struct maps *maps, const char *path, uint64_t *ret)
{
        size_t phnum;
        const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

        if (elf_getphdrnum(elf, &phnum) != 0)
                return -EBADMSG;
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
                        continue;
                for (size_t j = 0; j < maps->n; j++) {
                        const struct map_entry *e = &maps->v[j];
                        if (!e->path || strcmp(e->path, path) != 0)
                                continue;
                        if (e->offset != (ph.p_offset & ~(page - 1)))
                                continue;
                        *ret = e->start - (ph.p_vaddr & ~(page - 1));
                        return 0;
                }
        }
        return -ENOENT;
}

static bool
is_mapped(const struct maps *maps, uint64_t addr)
{
        for (size_t i = 0; i < maps->n; i++)
                if (addr >= maps->v[i].start && addr < maps->v[i].end)
                        return maps->v[i].perms[0] == 'r';
        return false;
}

/* "python3.12", "libpython3.12.so.1.0", "python3.11d" → 0x030c0000 etc.; 0 when no version. */
static uint32_t
version_from_name(const char *path)
{
        const char *base = strrchr(path, '/');
        unsigned maj, min;

        base = base ? base + 1 : path;
        if (!strncmp(base, "lib", 3))
                base += 3;
        if (sscanf(base, "python%u.%u", &maj, &min) == 2 && maj == 3 && min < 100)
                return maj << 24 | min << 16;
        return 0;
}

/* Open the file behind maps path @path as the target sees it. In another mount namespace
 * the path is the target's, so /proc/PID/root/<path> is right; for a chroot the kernel shows
 * the path from our root, so <path> itself is. The maps inode tells which one is the file. */
static int
open_mapped(pid_t pid, const struct maps *maps, const char *path)
{
        char buf[PATH_MAX + 64];
        uint64_t inode = 0;

        for (size_t i = 0; i < maps->n && !inode; i++)
                if (maps->v[i].path && !strcmp(maps->v[i].path, path))
                        inode = maps->v[i].inode;
        for (int attempt = 0; attempt < 2; attempt++) {
                struct stat st;
                int fd;
                if (attempt == 0)
                        snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)pid, path);
                else
                        snprintf(buf, sizeof(buf), "%s", path);
                fd = open(buf, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (fstat(fd, &st) == 0 && (!inode || st.st_ino == inode))
                        return fd;
                (void)close(fd);
        }
        return -ENOENT;
}

static int
try_file(pid_t pid,
         const struct maps *maps,
         const char *map_path,
         bool is_exe,
         struct py_location *ret)
{
        char open_path[PATH_MAX + 64];
        _cleanup_close_ int fd = -1;
        _cleanup_(elf_endp) Elf *elf = NULL;
        struct elf_found f = { 0 };
        uint64_t bias;
        int r;

        if (is_exe) {
                /* /proc/PID/exe works across namespaces and for deleted files */
                snprintf(open_path, sizeof(open_path), "/proc/%d/exe", (int)pid);
                fd = open(open_path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return errno == EACCES ? -EPERM : errno == ENOENT ? -ESRCH : -ENOENT;
        } else {
                fd = open_mapped(pid, maps, map_path);
                if (fd < 0)
                        return fd;
        }
        elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (!elf || elf_kind(elf) != ELF_K_ELF)
                return -ENOENT;
        scan_symbols(elf, version_from_name(map_path), &f);
        if (!f.runtime) {
                if (!f.has_py_initialize)
                        return -ENOENT;
                /* Python, but one older than _PyRuntime (2.x, 3.0–3.6) */
                memset(ret, 0, sizeof(*ret));
                snprintf(ret->binary, sizeof(ret->binary), "%s", map_path);
                ret->name_version = version_from_name(map_path);
                ret->rodata_version = f.rodata_version;
                return -EPROTONOSUPPORT;
        }
        r = load_bias(elf, maps, map_path, &bias);
        if (r < 0)
                return r;
        if (!is_mapped(maps, f.runtime + bias))
                return -ENOENT;
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->binary, sizeof(ret->binary), "%s", map_path);
        ret->runtime = f.runtime + bias;
        ret->runtime_size = f.runtime_size;
        ret->py_version = f.py_version ? f.py_version + bias : 0;
        ret->code_type = f.code_type ? f.code_type + bias : 0;
        ret->rodata_version = f.rodata_version;
        ret->name_version = version_from_name(map_path);
        ret->is_libpython = !is_exe;
        return 0;
}

/* A DT_NEEDED entry of @elf that names a libpython. */
static bool
needs_libpython(Elf *elf)
{
        Elf_Scn *scn = NULL;

        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                Elf_Data *data;
                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize ||
                    !(data = elf_getdata(scn, NULL)))
                        continue;
                for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
                        GElf_Dyn dyn;
                        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
                                continue;
                        const char *name = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
                        if (name && !strncmp(name, "libpython", 9))
                                return true;
                }
        }
        return false;
}

int
symbols_file_is_python(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_(elf_endp) Elf *elf = NULL;
        struct elf_found f = { 0 };

        if (fd < 0)
                return -errno;
        if (elf_version(EV_CURRENT) == EV_NONE)
                return -ENOTSUP;
        elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (!elf || elf_kind(elf) != ELF_K_ELF)
                return 0;
        scan_pass(elf, false, 0, SHT_DYNSYM, &f);
        if (!f.runtime && !f.has_py_initialize)
                scan_pass(elf, false, 0, SHT_SYMTAB, &f);
        return f.runtime || f.has_py_initialize || needs_libpython(elf);
}

/* Bigger writable mappings are not a Python's data segment (libpython's is about 1 MiB). */
#define COOKIE_REGION_MAX (64u << 20)

size_t
symbols_cookie_regions(const struct maps *maps, size_t *ret, size_t cap)
{
        size_t n = 0;

        for (size_t i = 0; i < maps->n; i++) {
                const struct map_entry *e = &maps->v[i];
                bool file = e->path && e->path[0] == '/';
                /* the .bss that follows a file's last mapping is anonymous (no path) */
                bool bss = !e->path && i > 0 && maps->v[i - 1].path &&
                           maps->v[i - 1].path[0] == '/' && maps->v[i - 1].end == e->start;

                if (e->perms[0] != 'r' || e->perms[1] != 'w' || !(file || bss))
                        continue;
                if (e->end - e->start > COOKIE_REGION_MAX)
                        continue;
                if (n < cap)
                        ret[n] = i;
                n++;
        }
        return n;
}

int
symbols_find_cookie(const void *buf, size_t len, size_t *ret_pos)
{
        const uint8_t *p = buf;

        /* _PyRuntime is at least 8-aligned, and mappings start on a page */
        for (size_t pos = 0; pos + 16 <= len; pos += 8) {
                uint64_t v;
                unsigned level;

                if (p[pos] != 'x' || memcmp(p + pos, "xdebugpy", 8) != 0)
                        continue;
                memcpy(&v, p + pos + 8, sizeof(v));
                level = (v >> 4) & 0xf;
                if (v >> 32 || v >> 24 != 3 || ((v >> 16) & 0xff) < 13 ||
                    (level != 0xa && level != 0xb && level != 0xc && level != 0xf))
                        continue;
                *ret_pos = pos;
                return 0;
        }
        return -ENOENT;
}

int
symbols_locate(pid_t pid, const struct maps *maps, struct py_location *ret)
{
        char link[64], exe[PATH_MAX];
        ssize_t n;
        int r;

        if (elf_version(EV_CURRENT) == EV_NONE)
                return -ENOTSUP;
        snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
        n = readlink(link, exe, sizeof(exe) - 1);
        if (n < 0)
                return errno == ENOENT ? -ESRCH : errno == EACCES ? -EPERM : -errno;
        exe[n] = '\0';
        if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
                exe[n - 10] = '\0';

        /* A shared libpython holds _PyRuntime when there is one (pyenv's --enable-shared
         * builds): its executable only imports the symbol. */
        for (size_t i = 0; i < maps->n; i++) {
                const char *p = maps->v[i].path, *base;
                if (!p || p[0] != '/' || !strcmp(p, exe))
                        continue;
                base = strrchr(p, '/') + 1;
                if (strncmp(base, "libpython", 9) != 0 || maps->v[i].offset != 0)
                        continue;
                r = try_file(pid, maps, p, false, ret);
                if (r != -ENOENT)
                        return r;
        }
        r = try_file(pid, maps, exe, true, ret);
        if (r == 0 && !ret->name_version)
                ret->name_version = version_from_name(exe);
        return r;
}
