// SPDX-License-Identifier: GPL-2.0-or-later
// The watchdog, the pure part; see include/hepd/watchdog.hpp.
#include "hepd/watchdog.hpp"

#include <algorithm>
#include <charconv>

namespace hepd {

namespace {

constexpr std::string_view watch_magic = "hepd-watchdog 1";

bool parse_int(std::string_view s, int64_t& out) {
    if (s.empty() || s.size() > 19) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::chrono::milliseconds beat_period(uint32_t watchdog_timeout_s) {
    const auto quarter = std::chrono::milliseconds(uint64_t{watchdog_timeout_s} * 250);
    return std::clamp(quarter, std::chrono::milliseconds(100), std::chrono::milliseconds(1000));
}

std::chrono::seconds Backoff::on_failure(std::chrono::seconds healthy_for) {
    if (healthy_for >= max_) next_ = first_;
    const auto now = next_;
    next_ = std::min(next_ * 2, max_);
    return now;
}

std::string_view watch_state_key(WatchState s) {
    switch (s) {
    case WatchState::running: return "running";
    case WatchState::default_rules: return "default_rules";
    case WatchState::stood_down: return "stood_down";
    }
    return "running";
}

void WatchFile::add_event(int64_t at, std::string_view what) {
    std::string line;
    line.reserve(what.size());
    for (char c : what) {
        auto u = static_cast<unsigned char>(c);
        line += (u < 0x20 || u > 0x7e) ? '?' : c;
    }
    if (line.size() > 200) line.resize(200);
    events.push_back(WatchEvent{at, std::move(line)});
    if (events.size() > max_events) events.erase(events.begin(), events.end() - max_events);
}

std::string format_watch_file(const WatchFile& w) {
    std::string out(watch_magic);
    out += "\npid " + std::to_string(w.pid);
    out += "\nworker " + std::to_string(w.worker);
    out += "\nstate ";
    out += watch_state_key(w.state);
    out += "\nrestarts " + std::to_string(w.restarts);
    out += "\nrestart_at " + std::to_string(w.restart_at) + "\n";
    for (const auto& e : w.events) out += "event " + std::to_string(e.at) + " " + e.what + "\n";
    return out;
}

std::optional<WatchFile> parse_watch_file(std::string_view data) {
    if (!data.starts_with(watch_magic) || data.back() != '\n') return std::nullopt;
    WatchFile w;
    size_t pos = watch_magic.size() + 1;
    if (pos > data.size() || data[pos - 1] != '\n') return std::nullopt;
    while (pos < data.size()) {
        size_t lf = data.find('\n', pos);
        std::string_view line = data.substr(pos, lf - pos);
        pos = lf + 1;
        size_t sp = line.find(' ');
        if (sp == std::string_view::npos) return std::nullopt;
        std::string_view key = line.substr(0, sp), value = line.substr(sp + 1);
        int64_t n = 0;
        if (key == "event") {
            size_t sp2 = value.find(' ');
            if (sp2 == std::string_view::npos || !parse_int(value.substr(0, sp2), n)) return std::nullopt;
            w.events.push_back(WatchEvent{n, std::string(value.substr(sp2 + 1))});
        } else if (key == "state") {
            if (value == "running") w.state = WatchState::running;
            else if (value == "default_rules") w.state = WatchState::default_rules;
            else if (value == "stood_down") w.state = WatchState::stood_down;
            else return std::nullopt;
        } else if (parse_int(value, n) && n >= 0) {
            if (key == "pid") w.pid = n;
            else if (key == "worker") w.worker = n;
            else if (key == "restarts") w.restarts = static_cast<uint64_t>(n);
            else if (key == "restart_at") w.restart_at = n;
            else return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    if (w.pid <= 0) return std::nullopt;
    return w;
}

}  // namespace hepd
