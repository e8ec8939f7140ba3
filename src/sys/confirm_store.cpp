// SPDX-License-Identifier: GPL-2.0-or-later
// confirmed_dir on flash; see include/hepd/confirm_store.hpp.
#include "hepd/confirm_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "hepd/files.hpp"

namespace hepd {

namespace {

// A snapshot holds the whole configuration: every file is capped at 1 MiB, and there are few.
constexpr size_t max_snapshot = size_t{256} << 20;
constexpr size_t max_marker = 4096;

}  // namespace

Result<void> ConfirmStore::ensure_dir() const {
    // mkdir -p, for the last components only: /etc/hepd exists on any installed system.
    for (size_t slash = dir_.find('/', 1);; slash = dir_.find('/', slash + 1)) {
        const std::string part = slash == std::string::npos ? dir_ : dir_.substr(0, slash);
        if (!part.empty() && ::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
            return sys_error("mkdir(" + part + ")");
        if (slash == std::string::npos) break;
    }
    if (file_kind(dir_) != FileKind::directory) return sys_error("confirmed_dir " + dir_, ENOTDIR);
    return {};
}

Result<std::optional<SetupSources>> ConfirmStore::read_snapshot() const {
    if (file_kind(snapshot_path()) == FileKind::missing) return std::optional<SetupSources>{};
    auto text = read_file(snapshot_path(), max_snapshot);
    if (!text) return text.error();
    std::string problem;
    auto s = parse_snapshot(*text, &problem);
    if (!s) return sys_error("read(" + snapshot_path() + ")", EINVAL, problem);
    return std::optional<SetupSources>(std::move(*s));
}

Result<void> ConfirmStore::write_snapshot(const SetupSources& s) const {
    if (auto d = ensure_dir(); !d) return d;
    return write_file_atomic(snapshot_path(), format_snapshot(s), 0600);
}

std::optional<ConfirmMarker> ConfirmStore::read_marker(std::string* problem) const {
    if (file_kind(marker_path()) == FileKind::missing) return std::nullopt;
    auto text = read_file(marker_path(), max_marker);
    if (!text) {
        if (problem) *problem = text.error().message();
        return std::nullopt;
    }
    auto m = parse_marker(*text);
    if (!m && problem) *problem = marker_path() + ": not a hepd marker";
    return m;
}

Result<void> ConfirmStore::write_marker(const ConfirmMarker& m) const {
    if (auto d = ensure_dir(); !d) return d;
    return write_file_atomic(marker_path(), format_marker(m), 0600);
}

Result<void> ConfirmStore::remove_marker() const {
    const std::string p = marker_path();
    if (::unlink(p.c_str()) != 0) {
        if (errno == ENOENT) return {};
        return sys_error("unlink(" + p + ")");
    }
    const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_error("open(" + dir_ + ")");
    const int rc = ::fsync(fd);
    const int e = errno;
    ::close(fd);
    if (rc != 0) return sys_error("fsync(" + dir_ + ")", e);
    return {};
}

}  // namespace hepd
