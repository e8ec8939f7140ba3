// SPDX-License-Identifier: GPL-2.0-or-later
// Commit-confirm, the pure part; see include/hepd/confirm.hpp for the formats and the state
// machine.
#include "hepd/confirm.hpp"

#include <charconv>

#include "hepd/hash.hpp"

namespace hepd {

namespace {

constexpr std::string_view snapshot_magic = "hepd-snapshot 1\n";
constexpr std::string_view marker_magic = "hepd-unconfirmed 1\n";
// Bytes of one record; the loader caps a file at 1 MiB, a snapshot of many at far less than this.
constexpr uint64_t max_record = uint64_t{64} << 20;

void record(std::string& out, std::string_view word, std::string_view bytes) {
    out += word;
    out += ' ';
    out += std::to_string(bytes.size());
    out += '\n';
    out += bytes;
    out += '\n';
}

// A cursor over the snapshot bytes; every read checks the bounds.
class Reader {
public:
    explicit Reader(std::string_view d) : d_(d) {}
    bool at_end() const { return pos_ == d_.size(); }

    // The next line without its LF; false when there is no LF.
    bool line(std::string_view& out) {
        size_t lf = d_.find('\n', pos_);
        if (lf == std::string_view::npos) return false;
        out = d_.substr(pos_, lf - pos_);
        pos_ = lf + 1;
        return true;
    }
    // n bytes followed by LF.
    bool bytes(uint64_t n, std::string_view& out) {
        if (n > d_.size() - pos_ || d_.size() - pos_ - n < 1 || d_[pos_ + n] != '\n') return false;
        out = d_.substr(pos_, n);
        pos_ += n + 1;
        return true;
    }

private:
    std::string_view d_;
    size_t pos_ = 0;
};

// A decimal length as format_snapshot writes it: no sign, no leading zero (one spelling each).
bool number(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 12 || (s.size() > 1 && s[0] == '0')) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out <= max_record;
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

std::string format_snapshot(const SetupSources& s) {
    std::string out(snapshot_magic);
    record(out, "config", s.config_path);
    for (const auto& d : s.dirs) record(out, "dir", d);
    for (const auto& [path, bytes] : s.files) {
        out += "file " + std::to_string(path.size()) + " " + std::to_string(bytes.size()) + "\n";
        out += path;
        out += '\n';
        out += bytes;
        out += '\n';
    }
    out += "end\n";
    return out;
}

std::optional<SetupSources> parse_snapshot(std::string_view data, std::string* problem) {
    auto fail = [&](std::string why) -> std::optional<SetupSources> {
        if (problem) *problem = std::move(why);
        return std::nullopt;
    };
    if (!data.starts_with(snapshot_magic)) return fail("not a hepd snapshot (bad header)");
    Reader r(data.substr(snapshot_magic.size()));
    SetupSources s;
    bool have_config = false;
    for (;;) {
        std::string_view head;
        if (!r.line(head)) return fail("cut short (no 'end' record)");
        if (head == "end") break;
        size_t sp = head.find(' ');
        std::string_view word = head.substr(0, sp);
        std::string_view args = sp == std::string_view::npos ? std::string_view{} : head.substr(sp + 1);
        if (word == "config" || word == "dir") {
            uint64_t n = 0;
            std::string_view bytes;
            if (!number(args, n) || !r.bytes(n, bytes)) return fail("bad '" + std::string(word) + "' record");
            if (word == "config") {
                if (have_config) return fail("two 'config' records");
                have_config = true;
                s.config_path = std::string(bytes);
            } else {
                s.dirs.emplace_back(bytes);
            }
        } else if (word == "file") {
            size_t sp2 = args.find(' ');
            uint64_t n = 0, m = 0;
            std::string_view path, bytes;
            if (sp2 == std::string_view::npos || !number(args.substr(0, sp2), n) ||
                !number(args.substr(sp2 + 1), m) || !r.bytes(n, path) || !r.bytes(m, bytes) || path.empty())
                return fail("bad 'file' record");
            s.files.emplace_back(std::string(path), std::string(bytes));
        } else {
            return fail("unknown record '" + std::string(word.substr(0, 16)) + "'");
        }
    }
    if (!have_config) return fail("no 'config' record");
    if (!r.at_end()) return fail("bytes after the 'end' record");
    return s;
}

std::string sources_hash(const SetupSources& s) { return to_hex(sha256(format_snapshot(s))); }

std::string format_marker(const ConfirmMarker& m) {
    std::string out(marker_magic);
    out += "state ";
    out += m.state == ConfirmMarker::State::pending ? "pending" : "rolled-back";
    out += "\nhash " + m.hash + "\nsince " + std::to_string(m.since) + "\n";
    return out;
}

std::optional<ConfirmMarker> parse_marker(std::string_view data) {
    if (!data.starts_with(marker_magic)) return std::nullopt;
    Reader r(data.substr(marker_magic.size()));
    ConfirmMarker m;
    bool state = false, hash = false, since = false;
    std::string_view line;
    while (r.line(line)) {
        size_t sp = line.find(' ');
        if (sp == std::string_view::npos) return std::nullopt;
        std::string_view key = line.substr(0, sp), value = line.substr(sp + 1);
        if (key == "state" && !state) {
            if (value == "pending") m.state = ConfirmMarker::State::pending;
            else if (value == "rolled-back") m.state = ConfirmMarker::State::rolled_back;
            else return std::nullopt;
            state = true;
        } else if (key == "hash" && !hash && is_hex64(value)) {
            m.hash = std::string(value);
            hash = true;
        } else if (key == "since" && !since) {
            int64_t v = 0;
            auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (value.empty() || ec != std::errc() || p != value.data() + value.size()) return std::nullopt;
            m.since = v;
            since = true;
        } else {
            return std::nullopt;
        }
    }
    if (!r.at_end() || !state || !hash) return std::nullopt;
    return m;
}

BootDecision decide_boot(const std::optional<ConfirmMarker>& marker, std::string_view live_hash, bool have_snapshot) {
    BootDecision d;
    if (!marker) return d;
    if (marker->state == ConfirmMarker::State::pending) {
        if (!have_snapshot) {
            d.why = "a confirm was pending when hepd stopped, but the confirmed snapshot cannot be read: running "
                    "the files on flash";
            return d;
        }
        d.use_snapshot = true;
        d.mark_rolled_back = true;
        d.why = "hepd restarted while a confirm was pending: the unconfirmed configuration is rolled back; "
                "running the last confirmed configuration";
        return d;
    }
    if (live_hash == marker->hash) {
        if (!have_snapshot) {
            d.why = "the files on flash were rolled back earlier, but the confirmed snapshot cannot be read: "
                    "running the files on flash";
            return d;
        }
        d.use_snapshot = true;
        d.why = "the files on flash are the configuration that was rolled back: running the last confirmed "
                "configuration until they change or `hepd apply` applies them";
        return d;
    }
    d.remove_marker = true;
    d.why = "the files on flash changed since the rollback: running them";
    return d;
}

std::string_view reload_trigger_name(ReloadTrigger t) {
    switch (t) {
    case ReloadTrigger::files: return "files changed";
    case ReloadTrigger::signal: return "SIGHUP";
    case ReloadTrigger::cli_reload: return "hepd reload";
    case ReloadTrigger::cli_apply: return "hepd apply";
    }
    return "reload";
}

uint32_t window_for(ReloadTrigger t, std::optional<uint32_t> requested, uint32_t confirm_timeout) {
    switch (t) {
    case ReloadTrigger::cli_apply: return requested.value_or(confirm_timeout);
    case ReloadTrigger::cli_reload: return confirm_timeout;
    case ReloadTrigger::files:
    case ReloadTrigger::signal: return 0;
    }
    return 0;
}

ReloadGate gate_reload(ReloadTrigger t, bool pending, bool stood_down, uint32_t confirm_timeout) {
    const bool cli = t == ReloadTrigger::cli_apply || t == ReloadTrigger::cli_reload;
    if (stood_down) return ReloadGate::refuse_down;
    if (pending) return cli ? ReloadGate::refuse_pending : ReloadGate::defer;
    if (t == ReloadTrigger::files && confirm_timeout > 0) return ReloadGate::watch_only;
    return ReloadGate::go;
}

bool skip_rolled_back(ReloadTrigger t, std::string_view loaded_hash, std::string_view rolled_back_hash) {
    const bool automatic = t == ReloadTrigger::files || t == ReloadTrigger::signal;
    return automatic && !rolled_back_hash.empty() && loaded_hash == rolled_back_hash;
}

uint64_t ConfirmState::seconds_left(TimePoint now) const {
    if (phase_ != Phase::pending || now >= deadline_) return 0;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count();
    return static_cast<uint64_t>((ms + 999) / 1000);
}

void ConfirmState::open(TimePoint now, uint32_t seconds, std::string candidate_hash) {
    phase_ = Phase::pending;
    window_s_ = seconds;
    deadline_ = now + std::chrono::seconds(seconds);
    candidate_hash_ = std::move(candidate_hash);
    save_error_.clear();
}

void ConfirmState::saved() {
    phase_ = Phase::none;
    candidate_hash_.clear();
    rolled_back_hash_.clear();
    save_error_.clear();
}

void ConfirmState::save_failed(std::string e) {
    phase_ = Phase::unsaved;
    save_error_ = std::move(e);
}

void ConfirmState::rolled_back() {
    phase_ = Phase::rolled_back;
    rolled_back_hash_ = candidate_hash_;
    candidate_hash_.clear();
}

void ConfirmState::abandon() {
    phase_ = Phase::none;
    candidate_hash_.clear();
}

void ConfirmState::booted_rolled_back(std::string hash) {
    phase_ = Phase::rolled_back;
    rolled_back_hash_ = std::move(hash);
    candidate_hash_.clear();
}

void ConfirmState::applied_without_window() {
    phase_ = Phase::none;
    candidate_hash_.clear();
    rolled_back_hash_.clear();
    save_error_.clear();
}

}  // namespace hepd
