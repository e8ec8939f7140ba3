// SPDX-License-Identifier: GPL-2.0-or-later
// Result<T>: the outcome of an operation on the environment (kernel, files, netlink, sockets).
//
// Errors from the system are values, not exceptions: the failed operation is named and errno is
// copied at the point of failure, so a message reads like
//     iptc_commit(filter, ipv4): Resource temporarily unavailable (errno 11)
// The daemon loop keeps the last good state on such an error, retries with backoff and shows the
// message in `hepd status`. User-input problems use Diagnostics (diag.hpp) instead.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace hepd {

struct SysError {
    std::string op;      // what was attempted, with its object: "open(/etc/hepd/hepd.conf)"
    int err = 0;         // errno, or 0 when the failure has no errno
    std::string detail;  // extra text from a library (libipset's report, ...), may be empty

    std::string message() const;
};

// Builds a SysError from the current errno. Call it first thing after the failing call.
inline SysError sys_error(std::string op) {
    int e = errno;
    return SysError{std::move(op), e, {}};
}

inline SysError sys_error(std::string op, int err, std::string detail = {}) {
    return SysError{std::move(op), err, std::move(detail)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(SysError error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const SysError& error() const { return std::get<1>(v_); }

private:
    std::variant<T, SysError> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(SysError error) : err_(std::move(error)), ok_(false) {}

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const SysError& error() const { return err_; }

private:
    SysError err_;
    bool ok_ = true;
};

} // namespace hepd
