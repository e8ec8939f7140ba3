// SPDX-License-Identifier: GPL-2.0-or-later
// Files on flash: size-capped reads, directory listings in name order, atomic writes.
// The only module of the core-facing API that touches the filesystem (it lives in src/sys).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/result.hpp"

namespace hepd {

// Reads a whole regular file. Refuses (errno EFBIG) a file larger than max_bytes, without reading
// it all, and (EISDIR/EINVAL) anything that is not a regular file.
Result<std::string> read_file(const std::string& path, size_t max_bytes);

// The names (not paths) of the regular files in `dir` whose name ends in one of `suffixes`,
// sorted by byte order (strcmp), hidden files (leading '.') and editor backups ("~" suffix)
// skipped. A directory that vanishes while being read is an error (ENOENT), not a short list.
Result<std::vector<std::string>> list_dir(const std::string& dir,
                                          const std::vector<std::string>& suffixes);

// Writes `data` to `path` atomically: a temporary file in the same directory, write, fsync,
// rename over `path`, fsync of the directory. On any failure the old file is untouched and the
// temporary is removed.
Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644);

enum class FileKind { missing, regular, directory, other };
FileKind file_kind(const std::string& path);

// Fault injection for the test suites (tests/netns/61-faults.sh), never set in production: true
// while the environment variable `env` (HEPD_TEST_*) names a file that exists, so a test turns
// a fault on and off at run time by creating and removing that file. Unset: false, at the cost
// of one getenv.
bool test_hook(const char* env);

}  // namespace hepd
