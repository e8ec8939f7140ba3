// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the control protocol: the bytes a client sends (framing, then the
// request parser) and the bytes a client reads back (the reply parser). Beyond "no crash, no
// leak, no UB":
//  - framing: a line is a prefix of the input without LF, shorter than control_max_request;
//    too_long only with at least control_max_request bytes and no LF before the limit;
//  - a request parses iff there is no diagnostic, and exactly one diagnostic otherwise, whose
//    message is printable ASCII of bounded length (it goes back to the client in an ERR line);
//  - a parsed request prints canonically and parses back to itself;
//  - the ERR reply the server builds from that message parses back to the same code and text;
//  - a reply that parses, rebuilt with control_reply_ok/control_reply_error, parses the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hepd/control.hpp"

namespace {

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

bool printable(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e) return false;
    }
    return true;
}

void check_request(std::string_view line) {
    hepd::Diagnostics d;
    std::optional<hepd::ControlRequest> r = hepd::parse_control_request(line, d);
    CHECK(r.has_value() == d.empty());
    if (!r) {
        CHECK(d.items().size() == 1 && d.has_errors());
        const std::string& msg = d.items()[0].message;
        CHECK(!msg.empty() && msg.size() < 200 && printable(msg));
        std::string reply = hepd::control_reply_error(22, msg);
        auto back = hepd::parse_control_reply(reply);
        CHECK(back && !back->ok && back->code == 22 && back->message == msg && back->body.empty());
        return;
    }
    std::string canon = hepd::format_control_request(*r);
    CHECK(printable(canon) && canon.size() < 20);
    hepd::Diagnostics d2;
    auto again = hepd::parse_control_request(canon, d2);
    CHECK(again && *again == *r && d2.empty());
    if (r->timeout_s) CHECK(r->verb == hepd::ControlVerb::apply && *r->timeout_s <= 86400);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    constexpr size_t max = hepd::control_max_request;
    const size_t lf = in.substr(0, max).find('\n');

    for (bool eof : {false, true}) {
        hepd::ControlFraming f = hepd::frame_control_request(in, eof);
        switch (f.kind) {
        case hepd::ControlFraming::Kind::line:
            CHECK(f.line.data() == in.data());
            CHECK(f.line.size() < max);
            CHECK(f.line.find('\n') == std::string_view::npos);
            CHECK(lf != std::string_view::npos ? f.line.size() == lf : (eof && f.line.size() == size));
            check_request(f.line);
            break;
        case hepd::ControlFraming::Kind::too_long:
            CHECK(size >= max && lf == std::string_view::npos);
            break;
        case hepd::ControlFraming::Kind::incomplete:
            CHECK(lf == std::string_view::npos && size < max && (!eof || size == 0));
            break;
        }
    }
    check_request(in);

    std::string problem;
    auto reply = hepd::parse_control_reply(in, &problem);
    CHECK(reply.has_value() == problem.empty());
    if (reply) {
        CHECK(!in.empty() && in.back() == '\n');
        CHECK(reply->ok || (reply->code >= 0 && reply->code <= 9999));
        std::string rebuilt = reply->ok ? hepd::control_reply_ok(reply->body)
                                        : hepd::control_reply_error(reply->code, reply->message, reply->body);
        if (reply->ok) CHECK(rebuilt == in);
        auto again = hepd::parse_control_reply(rebuilt);
        CHECK(again && again->ok == reply->ok && again->code == reply->code && again->body == reply->body);
        if (!reply->ok && !reply->message.empty() && printable(reply->message))
            CHECK(again->message == reply->message);
    }
    return 0;
}
