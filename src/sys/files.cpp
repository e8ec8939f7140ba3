// SPDX-License-Identifier: GPL-2.0-or-later
// Files on flash: size-capped reads, sorted directory listings, atomic replacement.
//
// Goals, and how this file meets them:
//  1. A config file can never make hepd allocate without bound. read_file() checks fstat()'s
//     size first, then reads at most max_bytes + 1 bytes whatever the size said: a file that grows
//     meanwhile, or one whose size is not known in advance (procfs reports 0), is refused with
//     EFBIG instead of being read to its end.
//  2. Opening never blocks: O_NONBLOCK keeps a FIFO planted in resources.d from hanging the
//     daemon; anything that is not a regular file is refused after the open.
//  3. A listing is complete or an error. readdir() errors are errors; a directory removed while
//     it is read (Linux then fails getdents with ENOENT, or the open directory has no links left)
//     is ENOENT, never a short list that would silently drop resources. Symlinks count when they
//     lead to a regular file.
//  4. A reader sees the old file or the new one, never a mix, even across a power cut:
//     temporary in the same directory (same filesystem, so rename() is atomic), write, fsync,
//     rename, fsync of the directory. The temporary is a dotfile, so list_dir() never lists it,
//     and it is removed on every failure before the rename. A symlink at `path` is replaced by
//     the file (rename does not follow it). If only the final directory fsync fails, the new file
//     is already in place and the error says so by naming that step.
#include "hepd/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace hepd {

namespace {

// Closes a descriptor on every path out.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    // Closes now and reports close()'s result (it can carry a delayed write error).
    int close_checked() {
        int fd = fd_;
        fd_ = -1;
        return fd >= 0 ? ::close(fd) : 0;
    }

private:
    int fd_;
};

class Dir {
public:
    explicit Dir(DIR* d) : d_(d) {}
    ~Dir() {
        if (d_) ::closedir(d_);
    }
    Dir(const Dir&) = delete;
    Dir& operator=(const Dir&) = delete;
    DIR* get() const { return d_; }

private:
    DIR* d_;
};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) return sys_error("open(" + path + ")");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sys_error("fstat(" + path + ")");
    if (S_ISDIR(st.st_mode)) return sys_error("read(" + path + ")", EISDIR);
    if (!S_ISREG(st.st_mode)) return sys_error("read(" + path + ")", EINVAL, "not a regular file");
    const std::string limit = "more than the limit of " + std::to_string(max_bytes) + " bytes";
    if (st.st_size > 0 && static_cast<unsigned long long>(st.st_size) > max_bytes)
        return sys_error("read(" + path + ")", EFBIG, std::to_string(st.st_size) + " bytes, " + limit);

    // Read up to one byte past the limit: getting it shows the file is over the limit, whatever
    // fstat said. The buffer starts at the announced size (+1 to see the end) and doubles.
    const size_t cap = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
    const size_t want = static_cast<size_t>(st.st_size > 0 ? st.st_size : 0) + 1;
    std::string out(std::min(std::max<size_t>(want, 4096), cap), '\0');
    size_t got = 0;
    while (got < cap) {
        if (got == out.size()) out.resize(out.size() <= cap / 2 ? out.size() * 2 : cap);
        ssize_t n = ::read(fd.get(), &out[got], out.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + path + ")");
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    if (got > max_bytes)
        return sys_error("read(" + path + ")", EFBIG,
                         limit + " (fstat said " + std::to_string(st.st_size) + ")");
    out.resize(got);
    return out;
}

Result<std::vector<std::string>> list_dir(const std::string& dir,
                                          const std::vector<std::string>& suffixes) {
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0) return sys_error("open(" + dir + ")");
    // fdopendir takes a duplicate so that dfd stays usable for fstatat and fstat.
    int dup = ::fcntl(dfd.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return sys_error("fcntl(" + dir + ")");
    Dir d(::fdopendir(dup));
    if (!d.get()) {
        auto err = sys_error("fdopendir(" + dir + ")");
        ::close(dup);
        return err;
    }

    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        struct dirent* e = ::readdir(d.get());
        if (!e) {
            if (errno != 0) return sys_error("readdir(" + dir + ")");
            break;
        }
        std::string_view name(e->d_name);
        if (name.empty() || name[0] == '.' || name.back() == '~') continue;
        if (!suffixes.empty() &&
            std::none_of(suffixes.begin(), suffixes.end(),
                         [&](const std::string& s) { return ends_with(name, s); }))
            continue;
        if (e->d_type != DT_REG) {
            if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK) continue;
            // A symlink counts if it leads to a regular file; a dangling one, or an entry
            // removed since readdir, is skipped.
            struct stat st {};
            if (::fstatat(dfd.get(), e->d_name, &st, 0) != 0) {
                if (errno == ENOENT) continue;
                return sys_error("stat(" + dir + "/" + std::string(name) + ")");
            }
            if (!S_ISREG(st.st_mode)) continue;
        }
        names.emplace_back(name);
    }
    struct stat st {};
    if (::fstat(dfd.get(), &st) != 0) return sys_error("fstat(" + dir + ")");
    if (st.st_nlink == 0) return sys_error("readdir(" + dir + ")", ENOENT, "directory was removed");

    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return std::strcmp(a.c_str(), b.c_str()) < 0;
    });
    return names;
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.empty()) return sys_error("write(" + path + ")", EISDIR);

    std::string tmp = (dir == "/" ? "" : dir) + "/." + base + ".tmp-XXXXXX";
    Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (fd.get() < 0) return sys_error("mkstemp(" + tmp + ")");

    // Until the rename, every failure removes the temporary.
    auto fail = [&](SysError err) {
        fd.reset();
        ::unlink(tmp.c_str());
        return err;
    };
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) return fail(sys_error("fchmod(" + tmp + ")"));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(sys_error("write(" + tmp + ")"));
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return fail(sys_error("fsync(" + tmp + ")"));
    if (fd.close_checked() != 0) return fail(sys_error("close(" + tmp + ")"));
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(sys_error("rename(" + tmp + ", " + path + ")"));

    // The new file is in place; make the rename itself durable.
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0) return sys_error("open(" + dir + ")");
    if (::fsync(dfd.get()) != 0) return sys_error("fsync(" + dir + ")");
    return {};
}

FileKind file_kind(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return errno == ENOENT || errno == ENOTDIR ? FileKind::missing : FileKind::other;
    if (S_ISREG(st.st_mode)) return FileKind::regular;
    if (S_ISDIR(st.st_mode)) return FileKind::directory;
    return FileKind::other;
}

bool test_hook(const char* env) {
    const char* path = std::getenv(env);
    if (path == nullptr || *path == '\0') return false;
    struct stat st{};
    return ::stat(path, &st) == 0;
}

}  // namespace hepd
