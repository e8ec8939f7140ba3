// SPDX-License-Identifier: GPL-2.0-or-later
// The commands that ask the running daemon: the shared call and the exit-status convention.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "commands.hpp"
#include "hepd/control.hpp"
#include "hepd/worker_io.hpp"

namespace hepd::cmd {

bool config_arg(Args args, size_t& i, const char*& config_flag) {
    if (std::strcmp(args[i], "-c") != 0 && std::strcmp(args[i], "--config") != 0) return false;
    if (i + 1 >= args.size()) return false;
    config_flag = args[++i];
    return true;
}

int call_daemon(const char* command, const std::string& socket, const ControlRequest& req, int timeout_ms) {
    auto reply = control_call(socket, req, timeout_ms);
    if (!reply) {
        const int e = reply.error().err;
        if (e == ETIMEDOUT)
            std::fprintf(stderr, "hepd %s: the daemon does not answer (%s); `hepd status` tells more\n", command,
                         reply.error().message().c_str());
        else
            std::fprintf(stderr, "hepd %s: the daemon is not running (%s)\n", command, reply.error().message().c_str());
        return 2;
    }
    std::string body = reply->body;
    int code = reply->ok ? 0 : 1;
    if (body.rfind(status_exit_prefix, 0) == 0) {
        code = std::atoi(body.c_str() + std::strlen(status_exit_prefix));
        const size_t eol = body.find('\n');
        body.erase(0, eol == std::string::npos ? body.size() : eol + 1);
    }
    if (reply->ok) {
        std::fwrite(body.data(), 1, body.size(), stdout);
    } else {
        std::fwrite(body.data(), 1, body.size(), stderr);
        std::fprintf(stderr, "hepd %s: %s\n", command, reply->message.c_str());
    }
    return code;
}

}  // namespace hepd::cmd
