// SPDX-License-Identifier: GPL-2.0-or-later
// glibc names that Debian's prebuilt libinih.a (tools/static/fetch.sh) uses and musl does not
// provide. Static build only (mk/static.mk).
#include <stdio.h>

// glibc's large-file alias of fopen; musl's fopen always has 64-bit offsets.
FILE *fopen64(const char *path, const char *mode);
FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }
