// SPDX-License-Identifier: GPL-2.0-or-later
// glibc names that Debian's prebuilt libinih.a (tools/static/fetch.sh) uses and musl does not
// provide. Static build only (mk/static.mk).
#include <stdio.h>

// glibc's large-file alias of fopen; musl's fopen always has 64-bit offsets.
FILE *fopen64(const char *path, const char *mode);
FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }

// libc++abi's demangler (77 KB) serves one message: the type of an exception nobody caught, in
// std::terminate's default handler. Without it the message names the type as mangled
// (St9bad_alloc); status -2 is "not a valid mangled name". Defined here, it keeps libc++abi's
// demangler out of the link.
#include <stddef.h>
char *__cxa_demangle(const char *mangled, char *buf, size_t *n, int *status);
char *__cxa_demangle(const char *mangled, char *buf, size_t *n, int *status) {
    (void)mangled;
    (void)buf;
    (void)n;
    if (status != NULL) *status = -2;
    return NULL;
}
