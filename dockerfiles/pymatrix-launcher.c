/* pymatrix launcher: the ISA guard in the interpreter's own path.
 *
 * In a pymatrix image this program sits where CPython installed its interpreter
 * (/usr/local/bin/python3.X, so python3, python, pip3, pydoc3 and every shebang that names them reach
 * it), and the interpreter itself lives at PYMATRIX_REAL_PYTHON. Before it execs the interpreter it
 * checks that the running CPU has every ISA feature the interpreter was compiled for: the cpuinfo
 * flag names in PYMATRIX_ISA_FEATURES, one line, space-separated, written when the image was
 * labelled. An unfit CPU gets one line on stderr and exit 4 instead of SIGILL ("illegal
 * instruction"), whatever the container's entrypoint or command.
 *
 * The interpreter gets argv unchanged, argv[0] included: CPython derives sys.executable, sys.prefix
 * and a venv's pyvenv.cfg from argv[0] (Modules/getpath.py), so sys.executable stays the path that
 * was started (this launcher, or a venv's bin/python that links to or is a copy of it) and
 * multiprocessing's spawn and forkserver children, which start sys.executable, pass the check too.
 *
 * Started as "pymatrix-isa-guard" (the image's ENTRYPOINT), it checks and then execs its arguments
 * looked up in PATH, like the shell guard it replaces.
 *
 *   PYMATRIX_SKIP_ISA_CHECK=<non-empty>  skip the check
 *   PYMATRIX_CPUINFO=FILE                read FILE instead of /proc/cpuinfo (to simulate another CPU)
 *
 * The features file missing (an image not labelled yet: the build runs python3 before the labelled
 * stage adds it) means nothing to check. Exit codes: 4 unfit CPU or unreadable cpuinfo; 126/127 the
 * interpreter (or the guard's command) cannot be executed / was not found.
 * Built for the baseline of the architecture (-march=x86-64 on x86_64), never with the profile's
 * flags, and statically linked: it must run on any CPU the image can be started on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PYMATRIX_REAL_PYTHON
#define PYMATRIX_REAL_PYTHON "/usr/local/libexec/pymatrix/python3"
#endif
#ifndef PYMATRIX_ISA_FEATURES
#define PYMATRIX_ISA_FEATURES "/usr/local/share/pymatrix/isa-features"
#endif
#define GUARD_NAME "pymatrix-isa-guard"
#define SKIP_HINT " (PYMATRIX_SKIP_ISA_CHECK=1 runs it anyway)\n"

enum { exit_rejected = 4, exit_cannot_execute = 126, exit_not_found = 127 };

/* One line on stderr, the concatenation of `parts` (NULL-terminated), in one write(2). */
static void say(const char *const *parts) {
    char line[8192];
    size_t n = 0;
    for (; *parts; ++parts)
        for (const char *p = *parts; *p && n < sizeof line; ++p) line[n++] = *p;
    while (n > 0 && write(2, line, n) < 0 && errno == EINTR) {}
}

/* Reads `path` into `buf` (NUL-terminated, at most `size` - 1 bytes), stopping early once
 * `enough(buf, n)` says so. Returns the bytes read, or -1 when the file cannot be opened or read. */
static long read_until(const char *path, char *buf, size_t size, const char *(*enough)(const char *, size_t)) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    while (n + 1 < size && !(enough && enough(buf, n))) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { close(fd); return -1; }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return (long)n;
}

/* The value of the first complete line of `text` (`n` bytes) whose key, the text before the first
 * ':', starts with "flags" (x86) or "Features" (arm64), as the shell guard and `pymatrix check`
 * read a cpuinfo; NULL if `text` holds no such line yet. */
static const char *flags_line(const char *text, size_t n) {
    for (const char *line = text, *end = text + n; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) return NULL;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon && (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0)) return colon + 1;
        line = eol + 1;
    }
    return NULL;
}

/* Whether `word` (length `len`) is one of the blank-separated words of `list`, which ends at a
 * newline or NUL. */
static int has_word(const char *list, const char *word, size_t len) {
    for (const char *p = list; *p && *p != '\n';) {
        while (*p == ' ' || *p == '\t') ++p;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n') ++end;
        if ((size_t)(end - p) == len && memcmp(p, word, len) == 0) return 1;
        p = end;
    }
    return 0;
}

/* Returns only if this CPU may run the interpreter; otherwise says why and exits 4. */
static void check_cpu(void) {
    const char *skip = getenv("PYMATRIX_SKIP_ISA_CHECK");
    if (skip && *skip) return;
    static char need[4096];
    if (read_until(PYMATRIX_ISA_FEATURES, need, sizeof need, NULL) < 0) return; /* not labelled yet */
    const char *cpuinfo = getenv("PYMATRIX_CPUINFO");
    if (!cpuinfo || !*cpuinfo) cpuinfo = "/proc/cpuinfo";
    /* the first processor's block comes first: only the first few KiB of a many-core
     * /proc/cpuinfo are ever generated */
    static char info[65536];
    long got = read_until(cpuinfo, info, sizeof info, flags_line);
    if (got < 0) {
        say((const char *[]){"pymatrix: refusing to start: cannot read ", cpuinfo,
                             " to check this CPU's ISA features", SKIP_HINT, NULL});
        exit(exit_rejected);
    }
    if (got > 0 && info[got - 1] != '\n' && (size_t)got + 1 < sizeof info) info[got++] = '\n'; /* last line, unended */
    const char *have = flags_line(info, (size_t)got);
    if (!have) have = "";
    static char missing[4096];
    size_t n = 0;
    for (const char *p = need; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n') ++p;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n') ++end;
        size_t len = (size_t)(end - p);
        if (len > 0 && !has_word(have, p, len) && n + len + 2 < sizeof missing) {
            missing[n++] = ' ';
            memcpy(missing + n, p, len);
            n += len;
        }
        p = end;
    }
    missing[n] = '\0';
    if (n == 0) return;
    say((const char *[]){"pymatrix: refusing to start: this CPU lacks ISA features the interpreter in "
                         "this image was compiled for:", missing, SKIP_HINT, NULL});
    exit(exit_rejected);
}

int main(int argc, char **argv) {
    const char *name = argc > 0 && argv[0] ? argv[0] : "";
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    check_cpu();
    if (strcmp(base, GUARD_NAME) == 0) {
        if (argc < 2) return 0; /* nothing to run, as the shell's `exec` with no command */
        execvp(argv[1], argv + 1);
        int e = errno;
        say((const char *[]){GUARD_NAME ": cannot run ", argv[1], ": ", strerror(e), "\n", NULL});
        return e == ENOENT ? exit_not_found : exit_cannot_execute;
    }
    char *fallback[] = {"python3", NULL};
    execv(PYMATRIX_REAL_PYTHON, argc > 0 ? argv : fallback);
    int e = errno;
    say((const char *[]){"pymatrix: cannot start the interpreter " PYMATRIX_REAL_PYTHON ": ", strerror(e), "\n", NULL});
    return e == ENOENT ? exit_not_found : exit_cannot_execute;
}
