// SPDX-License-Identifier: GPL-2.0-or-later
// The control protocol: request lines, framing and replies (grammar in control.hpp).
//
// Everything here is a function of its input only, so the fuzzer reaches all of it; the socket
// code in src/sys/control.cpp only moves bytes and calls these.
//
// A request is user input like a config file: it is checked in full, a problem is a Diagnostic
// at {"control", 1, column}, and nothing the client sent is echoed back except a short, already
// validated printable word.
#include <algorithm>
#include <charconv>
#include <vector>

#include "hepd/control.hpp"

namespace hepd {

namespace {

constexpr std::string_view expected_verbs =
    "expected ping, status, status json, reload, apply [SECONDS], confirm, rollback or teardown";

struct Token {
    std::string_view text;
    uint32_t col = 0;  // 1-based
};

bool blank(char c) { return c == ' ' || c == '\t'; }

Location at(size_t col) { return Location{"control", 1, static_cast<uint32_t>(col)}; }

// A word from the request for a message: it has passed the byte check, so it is printable.
std::string quote(std::string_view word) {
    constexpr size_t max_len = 32;
    std::string out = "'";
    if (word.size() > max_len) {
        out += word.substr(0, max_len);
        out += "...";
    } else {
        out += word;
    }
    return out + "'";
}

}  // namespace

std::string_view control_verb_name(ControlVerb v) {
    switch (v) {
    case ControlVerb::ping: return "ping";
    case ControlVerb::status: return "status";
    case ControlVerb::status_json: return "status json";
    case ControlVerb::reload: return "reload";
    case ControlVerb::apply: return "apply";
    case ControlVerb::confirm: return "confirm";
    case ControlVerb::rollback: return "rollback";
    case ControlVerb::teardown: return "teardown";
    }
    return "ping";
}

std::optional<ControlRequest> parse_control_request(std::string_view line, Diagnostics& diags) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() >= control_max_request) {
        diags.error(at(0), "request longer than " + std::to_string(control_max_request) + " bytes");
        return std::nullopt;
    }
    for (size_t i = 0; i < line.size(); ++i) {
        auto u = static_cast<unsigned char>(line[i]);
        if ((u < 0x20 && u != '\t') || u > 0x7e) {
            static const char hex[] = "0123456789abcdef";
            std::string msg = "request contains the byte 0x";
            msg += hex[u >> 4];
            msg += hex[u & 15];
            msg += " (only printable ASCII is allowed)";
            diags.error(at(i + 1), std::move(msg));
            return std::nullopt;
        }
    }

    std::vector<Token> tokens;
    for (size_t i = 0; i < line.size();) {
        if (blank(line[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < line.size() && !blank(line[i])) ++i;
        tokens.push_back({line.substr(start, i - start), static_cast<uint32_t>(start + 1)});
    }
    if (tokens.empty()) {
        diags.error(at(0), "empty request (" + std::string(expected_verbs) + ")");
        return std::nullopt;
    }

    const Token& verb = tokens[0];
    auto no_args = [&](ControlVerb v) -> std::optional<ControlRequest> {
        if (tokens.size() > 1) {
            diags.error(at(tokens[1].col), "'" + std::string(verb.text) +
                                               "' takes no argument, got " + quote(tokens[1].text));
            return std::nullopt;
        }
        return ControlRequest{v, std::nullopt};
    };

    if (verb.text == "ping") return no_args(ControlVerb::ping);
    if (verb.text == "reload") return no_args(ControlVerb::reload);
    if (verb.text == "confirm") return no_args(ControlVerb::confirm);
    if (verb.text == "rollback") return no_args(ControlVerb::rollback);
    if (verb.text == "teardown") return no_args(ControlVerb::teardown);
    if (verb.text == "status") {
        if (tokens.size() == 1) return ControlRequest{ControlVerb::status, std::nullopt};
        if (tokens[1].text != "json") {
            diags.error(at(tokens[1].col),
                        "'status' takes only the argument 'json', got " + quote(tokens[1].text));
            return std::nullopt;
        }
        if (tokens.size() > 2) {
            diags.error(at(tokens[2].col), "too many arguments for 'status json'");
            return std::nullopt;
        }
        return ControlRequest{ControlVerb::status_json, std::nullopt};
    }
    if (verb.text == "apply") {
        if (tokens.size() == 1) return ControlRequest{ControlVerb::apply, std::nullopt};
        if (tokens.size() > 2) {
            diags.error(at(tokens[2].col), "too many arguments for 'apply' (apply [SECONDS])");
            return std::nullopt;
        }
        std::string_view arg = tokens[1].text;
        uint64_t v = 0;
        const char* end = arg.data() + arg.size();
        auto [ptr, ec] = std::from_chars(arg.data(), end, v);
        bool digits = !arg.empty() && arg.front() >= '0' && arg.front() <= '9';
        if (!digits || ec != std::errc() || ptr != end || v > control_max_apply_timeout) {
            diags.error(at(tokens[1].col), "apply: the confirm timeout must be 0.." +
                                               std::to_string(control_max_apply_timeout) +
                                               " seconds, got " + quote(arg));
            return std::nullopt;
        }
        return ControlRequest{ControlVerb::apply, static_cast<uint32_t>(v)};
    }
    diags.error(at(verb.col), "unknown request " + quote(verb.text) + " (" +
                                  std::string(expected_verbs) + ")");
    return std::nullopt;
}

std::string format_control_request(const ControlRequest& r) {
    std::string out(control_verb_name(r.verb));
    if (r.verb == ControlVerb::apply && r.timeout_s) out += " " + std::to_string(*r.timeout_s);
    return out;
}

ControlFraming frame_control_request(std::string_view received, bool at_eof) {
    size_t look = std::min(received.size(), control_max_request);
    size_t lf = received.substr(0, look).find('\n');
    if (lf != std::string_view::npos) return {ControlFraming::Kind::line, received.substr(0, lf)};
    if (received.size() >= control_max_request) return {ControlFraming::Kind::too_long, {}};
    if (at_eof && !received.empty()) return {ControlFraming::Kind::line, received};
    return {ControlFraming::Kind::incomplete, {}};
}

namespace {

std::string with_final_lf(std::string out, std::string_view body) {
    out += body;
    if (!body.empty() && body.back() != '\n') out += '\n';
    return out;
}

}  // namespace

std::string control_reply_ok(std::string_view body) { return with_final_lf("OK\n", body); }

std::string control_reply_error(int code, std::string_view message, std::string_view body) {
    std::string out = "ERR " + std::to_string(code) + " ";
    if (message.empty()) message = "error";
    for (char c : message) {
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u > 0x7e) ? '?' : c;
    }
    out += '\n';
    return with_final_lf(std::move(out), body);
}

std::optional<ControlReply> parse_control_reply(std::string_view data, std::string* problem) {
    auto fail = [&](std::string why) -> std::optional<ControlReply> {
        if (problem) *problem = std::move(why);
        return std::nullopt;
    };
    if (data.empty())
        return fail("empty reply: the daemon closed the connection without answering");
    if (data.back() != '\n') return fail("reply cut short (it does not end in a newline)");
    size_t lf = data.find('\n');
    std::string_view status = data.substr(0, lf);
    ControlReply r;
    r.body = std::string(data.substr(lf + 1));
    if (status == "OK") {
        r.ok = true;
        return r;
    }
    if (status.substr(0, 4) == "ERR ") {
        std::string_view rest = status.substr(4);
        size_t n = 0;
        while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
        if (n >= 1 && n <= 4 && (n == rest.size() || rest[n] == ' ')) {
            std::from_chars(rest.data(), rest.data() + n, r.code);
            r.message = std::string(rest.substr(n == rest.size() ? n : n + 1));
            return r;
        }
    }
    std::string shown;
    for (char c : status.substr(0, 40)) {
        auto u = static_cast<unsigned char>(c);
        shown += (u < 0x20 || u > 0x7e) ? '?' : c;
    }
    return fail("not a hepd reply: '" + shown + "'");
}

}  // namespace hepd
