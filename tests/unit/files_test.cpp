// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "hepd/files.hpp"

namespace hepd {
namespace {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/hepd-files-test-XXXXXX";
        char* p = ::mkdtemp(tmpl);
        if (p) path_ = p;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

void put(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary);
    f << data;
}

// Every name in a directory, hidden ones included.
std::vector<std::string> all_names(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(Files, ReadFile) {
    TempDir t;
    ASSERT_FALSE(t.path().empty());
    put(t / "a.conf", "hello\n");
    put(t / "empty", "");
    put(t / "ten", "0123456789");
    ASSERT_EQ(::mkfifo((t / "fifo").c_str(), 0600), 0);
    ASSERT_EQ(::symlink("a.conf", (t / "link").c_str()), 0);

    auto a = read_file(t / "a.conf", 100);
    ASSERT_TRUE(a.ok()) << a.error().message();
    EXPECT_EQ(*a, "hello\n");
    auto l = read_file(t / "link", 100);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(*l, "hello\n");
    auto e = read_file(t / "empty", 0);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(*e, "");
    auto ten = read_file(t / "ten", 10);
    ASSERT_TRUE(ten.ok());
    EXPECT_EQ(*ten, "0123456789");
    auto unlimited = read_file(t / "ten", SIZE_MAX);
    ASSERT_TRUE(unlimited.ok());
    EXPECT_EQ(*unlimited, "0123456789");

    struct Case {
        std::string path;
        size_t max;
        int err;
        std::string message;
    } cases[] = {
        {t / "ten", 9, EFBIG,
         "read(" + (t / "ten") + "): File too large (errno 27): 10 bytes, more than the limit of 9 bytes"},
        {t / "missing", 10, ENOENT, "open(" + (t / "missing") + "): No such file or directory (errno 2)"},
        {t.path(), 10, EISDIR, "read(" + t.path() + "): Is a directory (errno 21)"},
        // A FIFO is refused without blocking on the open.
        {t / "fifo", 10, EINVAL, "read(" + (t / "fifo") + "): Invalid argument (errno 22): not a regular file"},
        {"/dev/null", 10, EINVAL, "read(/dev/null): Invalid argument (errno 22): not a regular file"},
        {t / "a.conf/x", 10, ENOTDIR, "open(" + (t / "a.conf/x") + "): Not a directory (errno 20)"},
    };
    for (const auto& c : cases) {
        auto r = read_file(c.path, c.max);
        ASSERT_FALSE(r.ok()) << c.path;
        EXPECT_EQ(r.error().err, c.err) << c.path;
        EXPECT_EQ(r.error().message(), c.message);
    }
}

TEST(Files, ReadFileStopsAtTheCapWhenTheSizeLies) {
    // procfs files report size 0 but have content: the read itself is bounded.
    auto full = read_file("/proc/self/status", 1 << 20);
    ASSERT_TRUE(full.ok()) << full.error().message();
    ASSERT_GT(full->size(), 100u);
    auto capped = read_file("/proc/self/status", 100);
    ASSERT_FALSE(capped.ok());
    EXPECT_EQ(capped.error().err, EFBIG);
    EXPECT_EQ(capped.error().message(),
              "read(/proc/self/status): File too large (errno 27): more than the limit of 100 bytes "
              "(fstat said 0)");
}

TEST(Files, ReadFileLarge) {
    TempDir t;
    std::string big(3 * 1024 * 1024 + 17, 'x');
    big[12345] = '\0';
    put(t / "big", big);
    auto r = read_file(t / "big", big.size());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, big);
    EXPECT_FALSE(read_file(t / "big", big.size() - 1).ok());
}

TEST(Files, ListDir) {
    TempDir t;
    for (const char* n : {"b.yaml", "a.yml", "10-x.yaml", "2.yaml", "B.yaml", "\xC3\xA9.yaml",
                          ".hidden.yaml", "x.yaml~", "notes.txt", "yaml", "c.yaml.bak"})
        put(t / n, "x");
    ASSERT_EQ(::mkdir((t / "d.yaml").c_str(), 0755), 0);
    ASSERT_EQ(::mkfifo((t / "f.yaml").c_str(), 0600), 0);
    ASSERT_EQ(::symlink("a.yml", (t / "l.yaml").c_str()), 0);
    ASSERT_EQ(::symlink("nowhere", (t / "dangling.yaml").c_str()), 0);
    ASSERT_EQ(::symlink("d.yaml", (t / "dirlink.yaml").c_str()), 0);

    auto r = list_dir(t.path(), {".yaml", ".yml"});
    ASSERT_TRUE(r.ok()) << r.error().message();
    // strcmp order: digits, upper case, lower case, then bytes >= 0x80.
    std::vector<std::string> want = {"10-x.yaml", "2.yaml", "B.yaml", "a.yml",
                                     "b.yaml",    "l.yaml", "\xC3\xA9.yaml"};
    EXPECT_EQ(*r, want);

    auto all = list_dir(t.path(), {});
    ASSERT_TRUE(all.ok());
    std::vector<std::string> want_all = {"10-x.yaml", "2.yaml", "B.yaml", "a.yml", "b.yaml",
                                         "c.yaml.bak", "l.yaml", "notes.txt", "yaml",
                                         "\xC3\xA9.yaml"};
    EXPECT_EQ(*all, want_all);

    auto none = list_dir(t.path(), {".json"});
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
}

TEST(Files, ListDirErrors) {
    TempDir t;
    put(t / "file", "x");
    auto missing = list_dir(t / "missing", {".yaml"});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().err, ENOENT);
    EXPECT_EQ(missing.error().message(),
              "open(" + (t / "missing") + "): No such file or directory (errno 2)");
    auto notdir = list_dir(t / "file", {".yaml"});
    ASSERT_FALSE(notdir.ok());
    EXPECT_EQ(notdir.error().err, ENOTDIR);
}

TEST(Files, ListDirOfAVanishedDirectoryIsENOENT) {
    // Hold the directory open, remove it, then list it through /proc/self/fd: what a listing
    // sees when the directory goes away under it.
    TempDir t;
    std::string dir = t / "gone";
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    put(dir + "/a.yaml", "x");
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    std::filesystem::remove_all(dir);
    auto r = list_dir("/proc/self/fd/" + std::to_string(fd), {".yaml"});
    ::close(fd);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().err, ENOENT) << r.error().message();
}

TEST(Files, WriteFileAtomic) {
    TempDir t;
    std::string p = t / "hepd.status";
    auto w = write_file_atomic(p, "one\n", 0600);
    ASSERT_TRUE(w.ok()) << w.error().message();
    EXPECT_EQ(*read_file(p, 100), "one\n");
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);  // exactly, whatever the umask

    // Replacing: the new content, the new mode, no temporary left behind.
    std::string big(1 << 20, 'z');
    ASSERT_TRUE(write_file_atomic(p, big).ok());
    EXPECT_EQ(*read_file(p, big.size()), big);
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    EXPECT_EQ(all_names(t.path()), std::vector<std::string>{"hepd.status"});

    ASSERT_TRUE(write_file_atomic(p, "").ok());
    EXPECT_EQ(*read_file(p, 10), "");
}

TEST(Files, WriteFileAtomicFailures) {
    TempDir t;
    // No such directory.
    auto r = write_file_atomic(t / "missing/x", "data");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().err, ENOENT);
    EXPECT_EQ(r.error().message().rfind("mkstemp(" + (t / "missing/.x.tmp-"), 0), 0u)
        << r.error().message();

    // The target is a directory: the rename fails, the directory is untouched and the
    // temporary is gone.
    ASSERT_EQ(::mkdir((t / "dir").c_str(), 0755), 0);
    put(t / "dir/keep", "k");
    auto d = write_file_atomic(t / "dir", "data");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().err, EISDIR) << d.error().message();
    EXPECT_EQ(d.error().message().rfind("rename(", 0), 0u) << d.error().message();
    EXPECT_EQ(all_names(t.path()), std::vector<std::string>{"dir"});
    EXPECT_EQ(all_names(t / "dir"), std::vector<std::string>{"keep"});

    // A path ending in '/' names no file.
    auto slash = write_file_atomic(t.path() + "/", "data");
    ASSERT_FALSE(slash.ok());
    EXPECT_EQ(slash.error().err, EISDIR);
}

TEST(Files, FileKind) {
    TempDir t;
    put(t / "f", "x");
    ASSERT_EQ(::mkfifo((t / "p").c_str(), 0600), 0);
    ASSERT_EQ(::symlink("f", (t / "l").c_str()), 0);
    ASSERT_EQ(::symlink("nowhere", (t / "dangling").c_str()), 0);
    struct Case {
        std::string path;
        FileKind want;
    } cases[] = {
        {t / "f", FileKind::regular},      {t / "l", FileKind::regular},
        {t.path(), FileKind::directory},   {t / "p", FileKind::other},
        {"/dev/null", FileKind::other},    {t / "missing", FileKind::missing},
        {t / "dangling", FileKind::missing}, {t / "f/x", FileKind::missing},
    };
    for (const auto& c : cases) EXPECT_EQ(file_kind(c.path), c.want) << c.path;
}

}  // namespace
}  // namespace hepd
