// SPDX-License-Identifier: GPL-2.0-or-later
// control: the daemon's control socket. The protocol (pure, src/core/control_proto.cpp), the
// server the daemon loop drives, and the client the CLI uses (src/sys/control.cpp).
//
// Protocol (one request per connection; an AF_UNIX stream socket, default
// /var/run/hepd/hepd.sock, mode 0600 in a 0700 directory, root peers only):
//
//   request  = verb *( SP arg ) [CR] LF          at most 4096 bytes, LF included
//   verbs    = "ping" | "status" | "status json" | "reload" | "apply" [SP seconds]
//            | "confirm" | "rollback" | "teardown"   lower case; blanks are runs of SP/TAB
//   seconds  = 1*DIGIT, value 0..86400            `apply` alone: the configured confirm_timeout
//
//   reply    = status-line LF body               then the server closes the connection
//   status-line = "OK" | "ERR" SP code SP message
//   code     = a Linux errno number, decimal     (strerror(code) names the class of failure)
//   message  = printable ASCII, one line
//   body     = any bytes; a reply always ends in LF (the server adds one to a body without it)
//
// A reply is complete when the server closes; a reply that does not end in LF was cut short
// (the daemon died while sending) and parse_control_reply() refuses it. The client may also end
// its request with EOF (shutdown(SHUT_WR)) instead of LF. Anything after the first LF is ignored.
//
// Errors the server itself sends (the daemon's handler picks its own codes the same way):
//
//   ERR 13 permission denied                        peer uid is not 0 (SO_PEERCRED)
//   ERR 22 <what is wrong with the request>         unknown verb, bad argument, bad bytes
//   ERR 90 request longer than 4096 bytes           no LF within the limit
//   ERR 110 request not complete within N ms        the client stalled while sending
//   ERR 11 too many clients                         more than max_clients connections
//   ERR 27 reply too large                          the handler's reply exceeds max_reply
//   ERR 24 daemon out of file descriptors           accept() failed with EMFILE/ENFILE
//
// The daemon's replies to reload, apply, confirm, rollback and teardown (OK and ERR alike) start
// their body with a line "#exit N": the exit status the CLI command returns (README, CLI.md).
//
// For the CLI: ENOENT or ECONNREFUSED from the client means no daemon listens (exit 2);
// ETIMEDOUT means it listens but does not answer (hung or stopped): report from the kernel.
//
// Example (socat as root; the body is whatever the daemon's handler returns):
//   $ echo 'apply 90' | socat - UNIX-CONNECT:/var/run/hepd/hepd.sock
//   OK
//   applied #43 (v4+v6, 214 rules); confirm within 90 s: hepd confirm
//   $ echo 'apply soon' | socat - UNIX-CONNECT:/var/run/hepd/hepd.sock
//   ERR 22 apply: the confirm timeout must be 0..86400 seconds, got 'soon'
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/diag.hpp"
#include "hepd/result.hpp"

namespace hepd {

// --- the protocol (pure) -----------------------------------------------------------------------

// Bytes of one request line, LF included.
inline constexpr size_t control_max_request = 4096;
inline constexpr uint32_t control_max_apply_timeout = 86400;  // seconds, as confirm_timeout

enum class ControlVerb : uint8_t { ping, status, status_json, reload, apply, confirm, rollback, teardown };
std::string_view control_verb_name(ControlVerb v);  // "ping", "status", "status json", ...

struct ControlRequest {
    ControlVerb verb = ControlVerb::ping;
    std::optional<uint32_t> timeout_s;  // apply only; unset: the configured confirm_timeout
    bool operator==(const ControlRequest&) const = default;
};

// Parses one request line, without its LF (a trailing CR is allowed). Problems go to `diags` as
// errors at {"control", 1, column}; the first one's message is what the ERR 22 reply says.
std::optional<ControlRequest> parse_control_request(std::string_view line, Diagnostics& diags);

// The canonical line for a request, without LF: "apply 90", "status json".
std::string format_control_request(const ControlRequest& r);

// Where the first request in the bytes a client has sent so far ends.
struct ControlFraming {
    enum class Kind : uint8_t {
        incomplete,  // no LF yet, fewer than control_max_request bytes: wait for more (or EOF)
        line,        // `line` is the request without its LF
        too_long,    // control_max_request bytes without LF
    };
    Kind kind = Kind::incomplete;
    std::string_view line;
};
// With at_eof, the bytes before EOF are the request (empty: the client sent nothing).
ControlFraming frame_control_request(std::string_view received, bool at_eof = false);

// Replies as the server sends them. The message is made one printable line (other bytes become
// '?'); a non-empty body without a final LF gets one.
std::string control_reply_ok(std::string_view body = {});
std::string control_reply_error(int code, std::string_view message, std::string_view body = {});

struct ControlReply {
    bool ok = false;
    int code = 0;          // ERR only
    std::string message;   // ERR only
    std::string body;
    bool operator==(const ControlReply&) const = default;
};
// Parses a whole reply (what the client read until EOF). nullopt, and `problem` set, for
// anything that is not a reply: empty, no LF at the end (cut short), a bad status line.
std::optional<ControlReply> parse_control_reply(std::string_view data,
                                                std::string* problem = nullptr);

// --- the server (src/sys/control.cpp) ----------------------------------------------------------

struct ControlServerOptions {
    size_t max_clients = 16;                          // more get "ERR 11 too many clients"
    std::chrono::milliseconds read_timeout{1000};     // connect to complete request
    std::chrono::milliseconds write_timeout{2000};    // reply queued to reply taken
    size_t max_reply = size_t{1} << 20;               // bytes; larger: "ERR 27 reply too large"
    uid_t allowed_uid = 0;                            // the only peer uid served
    // Where the server reports refused peers and dropped clients (one line, no LF). Null: quiet.
    std::function<void(std::string_view)> log;
    // The clock deadlines are measured with (tests inject one).
    std::function<std::chrono::steady_clock::time_point()> now;
};

struct ControlPeer {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

// A valid request from an allowed peer, waiting for the daemon's answer.
struct ControlIncoming {
    uint64_t client = 0;  // never reused within one server
    ControlPeer peer;
    ControlRequest request;
};

// The reply text for one request: build it with control_reply_ok()/control_reply_error().
using ControlHandler = std::function<std::string(const ControlIncoming&)>;

class ControlServer {
public:
    // Creates the socket at `path`: its directory is created with mode 0700 when missing, or must
    // be a directory owned by this uid that nobody else can write; `path.lock` next to the socket
    // is held (flock) for the server's lifetime, so a second daemon fails with EADDRINUSE; a
    // socket file left by a dead daemon is removed, after checking that nobody accepts on it
    // (anything else at `path` is an error, never deleted); the socket gets mode 0600.
    // Open it in the process that serves it (after any fork): a forked child shares the lock.
    static Result<ControlServer> open(const std::string& path, ControlServerOptions options = {});

    ControlServer(ControlServer&&) noexcept;
    ControlServer& operator=(ControlServer&&) noexcept;
    // Closes every client and unlinks the socket (if it is still the one it made). A moved-from
    // server may only be destroyed or assigned to.
    ~ControlServer();

    // An epoll descriptor, readable when accept_and_read() has work to do. Poll it with POLLIN,
    // with a timeout of poll_timeout_ms(), and call accept_and_read() when it is readable or the
    // timeout expired.
    int fd() const;

    // All I/O that can be done now, without blocking: accepts, checks peers, reads, sends queued
    // replies, enforces deadlines, answers refused, malformed, oversized and late requests
    // itself. Returns the valid requests of allowed peers, in arrival order; answer each with
    // reply(). A client whose connection ends before its reply is forgotten (reply() ignores it).
    std::vector<ControlIncoming> accept_and_read();

    // Queues `text` (a whole reply) for `client`, sends what the socket takes now and the rest
    // from later accept_and_read() calls; the connection is closed once it is all sent, or when
    // write_timeout passes first (the client is dropped and logged).
    void reply(uint64_t client, std::string text);

    // accept_and_read(), then reply(handler(request)) for each request: the daemon loop's step.
    void serve(const ControlHandler& handler);

    // Milliseconds until the next deadline (rounded up), or -1 when there is none.
    int poll_timeout_ms() const;
    size_t client_count() const;
    const std::string& path() const;

private:
    struct Impl;
    explicit ControlServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// --- the client (src/sys/control.cpp) ----------------------------------------------------------

// Sends one request line (LF added) and returns the whole reply, raw. Never takes longer than
// timeout_ms in total, whatever the daemon does (stopped with SIGSTOP, listening but hung, a
// full backlog): that is an ETIMEDOUT error. ENOENT / ECONNREFUSED mean no daemon listens.
Result<std::string> control_request(const std::string& path, std::string_view line, int timeout_ms);

// control_request() + parse_control_reply(); a reply that does not parse is an EPROTO error.
Result<ControlReply> control_call(const std::string& path, const ControlRequest& req,
                                  int timeout_ms);

}  // namespace hepd
