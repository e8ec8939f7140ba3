// SPDX-License-Identifier: GPL-2.0-or-later
// `hepd status`: golden text and JSON for a table of reports, widths, escaping, huge numbers.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hepd/status.hpp"

namespace hepd {
namespace {

constexpr uint64_t u64max = std::numeric_limits<uint64_t>::max();

std::vector<FailsafePort> ports(const char* text) {
    std::vector<FailsafePort> v;
    EXPECT_FALSE(parse_failsafe_ports(text, v).has_value()) << text;
    return v;
}

// The router of OPENWRT.md's example screen.
StatusReport router() {
    StatusReport r;
    r.state = DaemonState::enforcing;
    r.version = "0.3.1";
    r.pid = 812;
    r.uptime_s = 2 * 86400 + 4 * 3600 + 7 * 60;
    r.backend = "iptables-legacy";
    r.node = "gw1";
    r.firewall = "fw4 active (nft); hepd adds legacy tables";
    r.last_apply = ApplySummary{42, ApplyResult::ok, "12:04:31", 38, true, true, 214, 12, ""};
    r.failsafe = FailsafeReport{ports("tcp:22,tcp:80,tcp:443,udp:53,udp:67,udp:68,udp:546,udp:547"),
                                ports("udp:53,udp:67,udp:123"), true};
    r.endpoints = {
        {"wan", "eth1", IfaceState::up, Labels{{"role", "wan"}}, 3, 2,
         Counters{12345678, 4831838208ull}, Counters{1234, 90112}},
        {"lan", "br-lan", IfaceState::up, Labels{{"role", "lan"}, {"zone", "home"}}, 2, 2,
         Counters{0, 0}, Counters{0, 0}},
        {"guest", "wlan1", IfaceState::absent, Labels{{"role", "guest"}}, 1, 1, std::nullopt,
         std::nullopt},
        {"all-ifaces", "*", IfaceState::any, Labels{}, 1, 1, std::nullopt, std::nullopt},
    };
    r.policies = {
        {100.0, "allow-mgmt-lan", "role == 'lan'", 8100},
        {900.0, "default-deny-wan", "role == 'wan'", 1234},
        {std::nullopt, "log-everything", "", std::nullopt},
    };
    return r;
}

const char* const router_text =
    "hepd 0.3.1  ENFORCING  pid 812  up 2d04h  backend iptables-legacy  node gw1\n"
    "apply   #42 ok 12:04:31 (38 ms, v4+v6, 214 rules, 12 set members)\n"
    "fw      fw4 active (nft); hepd adds legacy tables\n"
    "failsafe in tcp:22,80,443 udp:53,67,68,546,547 icmp6:133-137 | out udp:53,67,123\n"
    "            icmp6:133-137\n"
    "ENDPOINT     IFACE     STATE  LABELS                IN/OUT ACCEPT p/B   DROP p/B\n"
    "wan          eth1      up     role=wan                 3/2   12M/4.5G   1.2k/88K\n"
    "lan          br-lan    up     role=lan,zone=home       2/2        0/0        0/0\n"
    "guest        wlan1     absent role=guest               1/1          -          -\n"
    "all-ifaces   *         -      -                        1/1          -          -\n"
    "ORDER  POLICY                     SELECTOR                                  HITS\n"
    "100    allow-mgmt-lan             role == 'lan'                             8.1k\n"
    "900    default-deny-wan           role == 'wan'                             1.2k\n"
    "-      log-everything             all()                                        -\n";

struct TextCase {
    const char* name;
    StatusReport report;
    size_t width;
    std::string text;
    int exit_code;
};

std::vector<TextCase> text_cases() {
    std::vector<TextCase> cases;

    cases.push_back({"empty", StatusReport{}, 80, "hepd  NOT-RUNNING\n", 2});

    cases.push_back({"router", router(), 80, router_text, 0});

    {
        StatusReport r = router();
        r.state = DaemonState::pending_confirm;
        r.confirm = ConfirmReport{57, "12:05:28"};
        r.endpoints.clear();
        r.policies.clear();
        r.failsafe.reset();
        r.firewall.clear();
        cases.push_back({"pending confirm", r, 80,
                         "hepd 0.3.1  PENDING-CONFIRM  pid 812  up 2d04h  backend iptables-legacy\n"
                         "apply   #42 ok 12:04:31 (38 ms, v4+v6, 214 rules, 12 set members)\n"
                         "confirm PENDING 57s (until 12:05:28) -> hepd confirm | hepd rollback\n"
                         "ENDPOINT none: no HostEndpoint of this node matches an interface\n",
                         3});
    }
    {
        StatusReport r;
        r.state = DaemonState::starting;
        r.version = "0.1.0";
        r.pid = 77;
        r.uptime_s = 3;
        cases.push_back({"starting", r, 80,
                         "hepd 0.1.0  STARTING  pid 77  up 3s\n"
                         "apply   none yet\n",
                         1});
    }
    {
        StatusReport r;
        r.state = DaemonState::degraded;
        r.version = "0.1.0";
        r.last_apply = ApplySummary{7, ApplyResult::failed, "03:00:01", 1500, true, false, 40, 0,
                                   "iptc_commit(filter, ipv4): Resource temporarily unavailable "
                                   "(errno 11); the previous ruleset stays in the kernel and hepd "
                                   "retries with backoff, next attempt in 8 s; see logread -e hepd "
                                   "for the whole story of this apply and the ones before it"};
        r.warnings.push_back({WarningKind::backend_error, 3, "03:00:01",
                              "iptc_commit(filter, ipv4): Resource temporarily unavailable", {},
                              true});
        r.warnings.push_back({WarningKind::lock_timeout, 1, "02:59:59",
                              "/run/xtables.lock held for more than 5 s", {}, false});
        cases.push_back({"failed apply", r, 80,
                         "hepd 0.1.0  DEGRADED\n"
                         "apply   #7 failed 03:00:01 (1500 ms, v4, 40 rules)\n"
                         "        error: iptc_commit(filter, ipv4): Resource temporarily unavailable\n"
                         "               (errno 11); the previous ruleset stays in the kernel and hepd\n"
                         "               retries with backoff, next attempt in 8 s; see logread -e hepd f~\n"
                         "ENDPOINT none: no HostEndpoint of this node matches an interface\n"
                         "warn: backend error x3 (last 03:00:01): iptc_commit(filter, ipv4): Resource\n"
                         "      temporarily unavailable\n"
                         "warn: lock timeout 02:59:59: /run/xtables.lock held for more than 5 s\n",
                         1});
    }
    {
        StatusReport r = router();
        r.endpoints.resize(1);
        r.policies.clear();
        r.failsafe.reset();
        r.firewall.clear();
        r.last_apply = ApplySummary{43, ApplyResult::rejected, "12:10:02", 4, true, true, 0, 0,
                                   "resources.d/10-web.yaml:14:7: error: unknown field 'prots'"};
        r.warnings.push_back({WarningKind::config_rejected, 1, "12:10:02",
                              "4 errors; the rules of #42 stay",
                              {"resources.d/10-web.yaml:14:7: error: unknown field 'prots' in rule",
                               "resources.d/10-web.yaml:20:9: error: port 70000 is out of range "
                               "(1..65535) and this diagnostic is long",
                               "resources.d/20-dns.yaml:3:1: error: duplicate name 'dns'",
                               "resources.d/20-dns.yaml:9:1: error: unknown kind 'NetworkPolicy'"},
                              true});
        r.warnings.push_back({WarningKind::rules_repaired, 2, "09:12",
                              "hepd chains were missing (fw3 restart?) - re-applied", {}, false});
        r.notes.push_back("confirmed config: /etc/hepd/confirmed (12:04:40)");
        cases.push_back(
            {"rejected config", r, 80,
             "hepd 0.3.1  DEGRADED  pid 812  up 2d04h  backend iptables-legacy  node gw1\n"
             "apply   #43 rejected 12:10:02 (4 ms, v4+v6)\n"
             "        error: resources.d/10-web.yaml:14:7: error: unknown field 'prots'\n"
             "ENDPOINT     IFACE     STATE  LABELS                IN/OUT ACCEPT p/B   DROP p/B\n"
             "wan          eth1      up     role=wan                 3/2   12M/4.5G   1.2k/88K\n"
             "warn: config rejected 12:10:02: 4 errors; the rules of #42 stay\n"
             "      resources.d/10-web.yaml:14:7: error: unknown field 'prots' in rule\n"
             "      resources.d/10-web.yaml:20:9: error: port 70000 is out of range (1..65535~\n"
             "      resources.d/20-dns.yaml:3:1: error: duplicate name 'dns'\n"
             "      (+1 more)\n"
             "warn: rules repaired x2 (last 09:12): hepd chains were missing (fw3 restart?) -\n"
             "      re-applied\n"
             "note: confirmed config: /etc/hepd/confirmed (12:04:40)\n",
             1});
    }
    {
        StatusReport r;
        r.state = DaemonState::default_rules;
        r.version = "0.1.0";
        r.pid = 900;
        for (int i = 1; i <= 5; ++i)
            r.watchdog.push_back({"09:1" + std::to_string(i),
                                  "worker " + std::to_string(800 + i) +
                                      " missed heartbeats for 10 s; default rules installed; restarted"});
        r.last_apply = ApplySummary{1, ApplyResult::ok, "", 2, false, false, 0, 0, ""};
        cases.push_back({"watchdog", r, 80,
                         "hepd 0.1.0  DEGRADED  pid 900\n"
                         "apply   #1 ok (2 ms, -, 0 rules)\n"
                         "ENDPOINT none: no HostEndpoint of this node matches an interface\n"
                         "watch   (+2 earlier: logread -e hepd)\n"
                         "watch   09:13 worker 803 missed heartbeats for 10 s; default rules installed;\n"
                         "        restarted\n"
                         "watch   09:14 worker 804 missed heartbeats for 10 s; default rules installed;\n"
                         "        restarted\n"
                         "watch   09:15 worker 805 missed heartbeats for 10 s; default rules installed;\n"
                         "        restarted\n",
                         1});
    }
    {
        // Width 40: the header drops what does not fit, cells and lines are cut with '~'.
        StatusReport r = router();
        r.firewall.clear();
        r.endpoints.resize(2);
        r.policies.resize(2);
        cases.push_back({"narrow", r, 40,
                         "hepd 0.3.1  ENFORCING  pid 812  up 2d04h\n"
                         "apply   #42 ok 12:04:31 (38 ms, v4+v6, ~\n"
                         "failsafe in tcp:22,80,443\n"
                         "            udp:53,67,68,546,547\n"
                         "            icmp6:133-137 | out\n"
                         "            udp:53,67,123 icmp6:133-137\n"
                         "ENDPOINT     IFACE     STATE  LABELS IN~\n"
                         "wan          eth1      up     role=~   ~\n"
                         "lan          br-lan    up     role=~   ~\n"
                         "ORDER  POLICY   SELECTOR            HITS\n"
                         "100    allow-m~ role == 'lan'       8.1k\n"
                         "900    default~ role == 'wan'       1.2k\n",
                         0});
    }
    {
        // Width 100: the free-text columns get the extra room.
        StatusReport r = router();
        r.endpoints = {{"a-rather-long-endpoint-name", "eth0.1234", IfaceState::down,
                        Labels{{"role", "uplink"}, {"site", "attic"}, {"zone", "dmz"}}, 12, 130,
                        Counters{999, 1023}, Counters{999999, 1048575}}};
        r.policies = {{10.5, "a-policy-with-a-long-name-for-wide-screens",
                       "role in {'uplink', 'dmz'} && has(site)", 999999}};
        r.failsafe.reset();
        r.firewall.clear();
        cases.push_back(
            {"wide", r, 100,
             "hepd 0.3.1  ENFORCING  pid 812  up 2d04h  backend iptables-legacy  node gw1\n"
             "apply   #42 ok 12:04:31 (38 ms, v4+v6, 214 rules, 12 set members)\n"
             "ENDPOINT           IFACE     STATE  LABELS                              IN/OUT ACCEPT p/B   DROP p/B\n"
             "a-rather-long-end~ eth0.1234 down   role=uplink,site=attic,zone=dmz     12/130   999/1023 999k/1023K\n"
             "ORDER  POLICY                           SELECTOR                                                HITS\n"
             "10.5   a-policy-with-a-long-name-for-w~ role in {'uplink', 'dmz'} && has(site)                  999k\n",
             0});
    }
    {
        StatusReport r;
        r.state = DaemonState::audit;
        r.version = "0.1.0";
        r.last_apply = ApplySummary{2, ApplyResult::ok, "08:00:00", 12, true, true, 1200, 0, ""};
        r.failsafe = FailsafeReport{{}, {}, false};
        cases.push_back({"audit, no failsafes", r, 80,
                         "hepd 0.1.0  AUDIT\n"
                         "apply   #2 ok 08:00:00 (12 ms, v4+v6, 1.2k rules)\n"
                         "failsafe in none | out none\n"
                         "ENDPOINT none: no HostEndpoint of this node matches an interface\n",
                         1});
    }
    {
        StatusReport r;
        r.state = DaemonState::rolled_back;
        r.warnings.push_back({WarningKind::other, 1, "12:05:28",
                              "apply #43 was not confirmed in 60 s; the rules of #42 are back", {},
                              false});
        cases.push_back({"rolled back", r, 80,
                         "hepd  ROLLED-BACK\n"
                         "apply   none yet\n"
                         "ENDPOINT none: no HostEndpoint of this node matches an interface\n"
                         "warn: 12:05:28: apply #43 was not confirmed in 60 s; the rules of #42 are back\n",
                         1});
    }
    return cases;
}

TEST(Status, GoldenText) {
    for (const auto& c : text_cases()) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(format_status_text(c.report, c.width), c.text);
        EXPECT_EQ(status_exit_code(c.report), c.exit_code);
    }
}

// Every line of every case fits every width, and is plain ASCII.
TEST(Status, EveryLineFitsEveryWidth) {
    for (const auto& c : text_cases()) {
        for (size_t w = 0; w <= 160; ++w) {
            std::string text = format_status_text(c.report, w);
            ASSERT_FALSE(text.empty());
            ASSERT_EQ(text.back(), '\n');
            size_t start = 0;
            while (start < text.size()) {
                size_t nl = text.find('\n', start);
                ASSERT_NE(nl, std::string::npos);
                EXPECT_LE(nl - start, w) << c.name << " width " << w << ": "
                                         << text.substr(start, nl - start);
                for (size_t i = start; i < nl; ++i) {
                    auto u = static_cast<unsigned char>(text[i]);
                    ASSERT_TRUE(u >= 0x20 && u <= 0x7e) << c.name << " width " << w;
                }
                if (nl > start) {
                    EXPECT_NE(text[nl - 1], ' ') << c.name << " width " << w;
                }
                start = nl + 1;
            }
        }
    }
}

TEST(Status, DefaultWidthIs80) {
    EXPECT_EQ(format_status_text(router()), router_text);
}

TEST(Status, ExitCodes) {
    struct Row {
        DaemonState state;
        int code;
        int code_with_ongoing_warning;
        const char* name;
        const char* key;
    };
    const Row rows[] = {
        {DaemonState::not_running, 2, 2, "NOT-RUNNING", "not_running"},
        {DaemonState::starting, 1, 1, "STARTING", "starting"},
        {DaemonState::enforcing, 0, 1, "ENFORCING", "enforcing"},
        {DaemonState::degraded, 1, 1, "DEGRADED", "degraded"},
        {DaemonState::pending_confirm, 3, 3, "PENDING-CONFIRM", "pending_confirm"},
        {DaemonState::rolled_back, 1, 1, "ROLLED-BACK", "rolled_back"},
        {DaemonState::default_rules, 1, 1, "DEGRADED", "default_rules"},
        {DaemonState::stood_down, 2, 2, "STOOD-DOWN", "stood_down"},
        {DaemonState::audit, 1, 1, "AUDIT", "audit"},
    };
    for (const auto& row : rows) {
        StatusReport r;
        r.state = row.state;
        EXPECT_EQ(status_exit_code(r), row.code) << row.key;
        EXPECT_EQ(status_state_name(row.state), row.name);
        EXPECT_EQ(status_state_key(row.state), row.key);
        r.warnings.push_back({WarningKind::rules_repaired, 1, "", "past", {}, false});
        EXPECT_EQ(status_exit_code(r), row.code) << row.key << " with a past warning";
        r.warnings.push_back({WarningKind::backend_error, 1, "", "now", {}, true});
        EXPECT_EQ(status_exit_code(r), row.code_with_ongoing_warning) << row.key;
    }
    StatusReport r = router();
    r.warnings.push_back({WarningKind::lock_timeout, 1, "", "now", {}, true});
    EXPECT_EQ(effective_state(r), DaemonState::degraded);
    EXPECT_NE(format_status_text(r).find("  DEGRADED  "), std::string::npos);
    EXPECT_NE(format_status_json(r).find("\"state\":\"degraded\",\"exit_code\":1,"),
              std::string::npos);
}

TEST(Status, Humanised) {
    struct Row {
        uint64_t n;
        const char* count;
        const char* bytes;
    };
    const Row rows[] = {
        {0, "0", "0"},
        {999, "999", "999"},
        {1000, "1.0k", "1000"},
        {1023, "1.0k", "1023"},
        {1024, "1.0k", "1.0K"},
        {1199, "1.1k", "1.1K"},
        {1200, "1.2k", "1.1K"},
        {9999, "9.9k", "9.7K"},
        {10000, "10k", "9.7K"},
        {10240, "10k", "10K"},
        {90112, "90k", "88K"},
        {999999, "999k", "976K"},
        {1000000, "1.0M", "976K"},
        {1048575, "1.0M", "1023K"},
        {1048576, "1.0M", "1.0M"},
        {4831838208ull, "4.8G", "4.5G"},
        {1000000000000000000ull, "1.0E", "888P"},
        {u64max, "18E", "15E"},
    };
    for (const auto& row : rows) {
        EXPECT_EQ(format_count(row.n), row.count) << row.n;
        EXPECT_EQ(format_bytes(row.n), row.bytes) << row.n;
        EXPECT_LE(format_count(row.n).size(), 4u);
        EXPECT_LE(format_bytes(row.n).size(), 5u);
    }
    // Never more than 4 (counts) / 5 (bytes) characters, over every power of ten and two.
    for (uint64_t n = 1; n < u64max / 10; n *= 10) {
        for (uint64_t m : {n - 1, n, n + n / 2}) EXPECT_LE(format_count(m).size(), 4u) << m;
    }
    for (int s = 0; s < 64; ++s) {
        uint64_t n = uint64_t{1} << s;
        for (uint64_t m : {n - 1, n, n + n / 2}) EXPECT_LE(format_bytes(m).size(), 5u) << m;
    }
}

TEST(Status, Uptime) {
    EXPECT_EQ(format_uptime(0), "0s");
    EXPECT_EQ(format_uptime(59), "59s");
    EXPECT_EQ(format_uptime(60), "1m00s");
    EXPECT_EQ(format_uptime(725), "12m05s");
    EXPECT_EQ(format_uptime(3600), "1h00m");
    EXPECT_EQ(format_uptime(11220), "3h07m");
    EXPECT_EQ(format_uptime(86399), "23h59m");
    EXPECT_EQ(format_uptime(86400), "1d00h");
    EXPECT_EQ(format_uptime(187440), "2d04h");
    EXPECT_EQ(format_uptime(u64max), "213503982334601d07h");
}

TEST(Status, FailsafeSummary) {
    EXPECT_EQ(format_failsafe_summary({}), "none");
    EXPECT_EQ(format_failsafe_summary(ports("tcp:22,udp:68,tcp:179")), "tcp:22,179 udp:68");
    EXPECT_EQ(format_failsafe_summary(
                  ports("tcp:10.0.0.0/8:22,tcp:22,tcp:[2001:db8::/32]:22,tcp:10.0.0.0/8:443")),
              "tcp:10.0.0.0/8:22,443 tcp:22 tcp:[2001:db8::/32]:22");
}

TEST(Status, HugeNumbers) {
    StatusReport r;
    r.state = DaemonState::enforcing;
    r.pid = std::numeric_limits<int64_t>::max();
    r.uptime_s = u64max;
    r.last_apply = ApplySummary{u64max, ApplyResult::ok, "", u64max, true, true, u64max, u64max, ""};
    r.confirm = ConfirmReport{u64max, ""};
    r.endpoints = {{"x", "eth0", IfaceState::up, {}, UINT32_MAX, UINT32_MAX,
                    Counters{u64max, u64max}, Counters{u64max, u64max}}};
    r.policies = {{1e300, "p", "all()", u64max}, {-0.5, "q", "all()", 0}};
    EXPECT_EQ(format_status_text(r, 80),
              "hepd  ENFORCING  pid 9223372036854775807  up 213503982334601d07h\n"
              "apply   #18446744073709551615 ok (18446744073709551615 ms, v4+v6, 18E rules, 18~\n"
              "confirm PENDING 213503982334601d07h -> hepd confirm | hepd rollback\n"
              "ENDPOINT     IFACE     STATE  LABELS                IN/OUT ACCEPT p/B   DROP p/B\n"
              "x            eth0      up     -                     42949~    18E/15E    18E/15E\n"
              "ORDER  POLICY                     SELECTOR                                  HITS\n"
              "1e+300 p                          all()                                      18E\n"
              "-0.5   q                          all()                                        0\n");
    std::string json = format_status_json(r);
    EXPECT_NE(json.find("\"pid\":9223372036854775807,\"uptime_s\":18446744073709551615,"),
              std::string::npos);
    EXPECT_NE(json.find("\"accepted\":{\"packets\":18446744073709551615,\"bytes\":18446744073709551615}"),
              std::string::npos);
    EXPECT_NE(json.find("\"order\":1e+300,"), std::string::npos);
    EXPECT_NE(json.find("\"policies_in\":4294967295,"), std::string::npos);
}

// --- JSON -----------------------------------------------------------------------------------

// A strict RFC 8259 checker: true when `s` is exactly one JSON value (plus a final newline).
class JsonChecker {
public:
    explicit JsonChecker(std::string_view s) : s_(s) {}
    bool valid() {
        if (!value()) return false;
        if (i_ < s_.size() && s_[i_] == '\n') ++i_;
        return i_ == s_.size();
    }

private:
    bool value() {
        if (++depth_ > 64 || i_ >= s_.size()) return false;
        bool ok;
        char c = s_[i_];
        if (c == '{') ok = object();
        else if (c == '[') ok = array();
        else if (c == '"') ok = string();
        else if (c == '-' || (c >= '0' && c <= '9')) ok = number();
        else ok = literal("true") || literal("false") || literal("null");
        --depth_;
        return ok;
    }
    bool literal(std::string_view w) {
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }
    bool object() {
        ++i_;
        if (peek('}')) return ++i_, true;
        for (;;) {
            if (!string() || !peek(':')) return false;
            ++i_;
            if (!value()) return false;
            if (peek('}')) return ++i_, true;
            if (!peek(',')) return false;
            ++i_;
        }
    }
    bool array() {
        ++i_;
        if (peek(']')) return ++i_, true;
        for (;;) {
            if (!value()) return false;
            if (peek(']')) return ++i_, true;
            if (!peek(',')) return false;
            ++i_;
        }
    }
    bool string() {
        if (!peek('"')) return false;
        for (++i_; i_ < s_.size(); ++i_) {
            auto u = static_cast<unsigned char>(s_[i_]);
            if (u == '"') return ++i_, true;
            if (u < 0x20 || u >= 0x7f) return false;  // hepd's JSON is pure ASCII
            if (u == '\\') {
                if (++i_ >= s_.size()) return false;
                char e = s_[i_];
                if (e == 'u') {
                    for (int k = 0; k < 4; ++k) {
                        if (++i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_])))
                            return false;
                    }
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                    return false;
                }
            }
        }
        return false;
    }
    bool number() {
        size_t start = i_;
        if (peek('-')) ++i_;
        if (peek('0')) {
            ++i_;
        } else if (!digits()) {
            return false;
        }
        if (peek('.')) {
            ++i_;
            if (!digits()) return false;
        }
        if (peek('e') || peek('E')) {
            ++i_;
            if (peek('+') || peek('-')) ++i_;
            if (!digits()) return false;
        }
        return i_ > start;
    }
    bool digits() {
        size_t start = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        return i_ > start;
    }
    bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }

    std::string_view s_;
    size_t i_ = 0;
    int depth_ = 0;
};

bool valid_json(std::string_view s) { return JsonChecker(s).valid(); }

TEST(Status, JsonChecker) {
    EXPECT_TRUE(valid_json("{\"a\":[1,-2.5e+3,true,null,\"x\\u00e9\"]}\n"));
    EXPECT_FALSE(valid_json("{\"a\":01}"));
    EXPECT_FALSE(valid_json("{\"a\":1,}"));
    EXPECT_FALSE(valid_json("{\"a\":\"\x01\"}"));
    EXPECT_FALSE(valid_json("{\"a\":1}{}"));
}

TEST(Status, GoldenJson) {
    EXPECT_EQ(format_status_json(StatusReport{}),
              "{\"schema\":1,\"state\":\"not_running\",\"exit_code\":2,\"version\":\"\",\"pid\":null,"
              "\"uptime_s\":null,\"backend\":\"\",\"node\":\"\",\"firewall\":\"\",\"last_apply\":null,"
              "\"confirm\":null,\"failsafe\":null,\"endpoints\":[],\"policies\":[],\"watchdog\":[],"
              "\"warnings\":[],\"notes\":[]}\n");

    StatusReport r = router();
    r.state = DaemonState::pending_confirm;
    r.confirm = ConfirmReport{57, "12:05:28"};
    r.endpoints.resize(2);
    r.policies.erase(r.policies.begin() + 1);
    r.watchdog.push_back({"09:12", "worker 801 missed heartbeats"});
    r.warnings.push_back({WarningKind::config_rejected, 1, "12:10:02", "2 errors",
                          {"a.yaml:1:1: error: x", "b.yaml:2:2: error: y"}, true});
    r.notes.push_back("n");
    EXPECT_EQ(format_status_json(r),
              "{\"schema\":1,\"state\":\"pending_confirm\",\"exit_code\":3,\"version\":\"0.3.1\","
              "\"pid\":812,\"uptime_s\":187620,\"backend\":\"iptables-legacy\",\"node\":\"gw1\","
              "\"firewall\":\"fw4 active (nft); hepd adds legacy tables\","
              "\"last_apply\":{\"seq\":42,\"result\":\"ok\",\"at\":\"12:04:31\",\"duration_ms\":38,"
              "\"families\":[\"v4\",\"v6\"],\"rules\":214,\"set_members\":12,\"error\":\"\"},"
              "\"confirm\":{\"remaining_s\":57,\"deadline\":\"12:05:28\"},"
              "\"failsafe\":{\"in\":[\"tcp:22\",\"tcp:80\",\"tcp:443\",\"udp:53\",\"udp:67\","
              "\"udp:68\",\"udp:546\",\"udp:547\"],\"out\":[\"udp:53\",\"udp:67\",\"udp:123\"],"
              "\"icmpv6_nd\":true},"
              "\"endpoints\":[{\"name\":\"wan\",\"iface\":\"eth1\",\"state\":\"up\","
              "\"labels\":{\"role\":\"wan\"},\"policies_in\":3,\"policies_out\":2,"
              "\"accepted\":{\"packets\":12345678,\"bytes\":4831838208},"
              "\"dropped\":{\"packets\":1234,\"bytes\":90112}},"
              "{\"name\":\"lan\",\"iface\":\"br-lan\",\"state\":\"up\","
              "\"labels\":{\"role\":\"lan\",\"zone\":\"home\"},\"policies_in\":2,\"policies_out\":2,"
              "\"accepted\":{\"packets\":0,\"bytes\":0},\"dropped\":{\"packets\":0,\"bytes\":0}}],"
              "\"policies\":[{\"order\":100,\"name\":\"allow-mgmt-lan\",\"selector\":\"role == 'lan'\","
              "\"hits\":8100},{\"order\":null,\"name\":\"log-everything\",\"selector\":\"\","
              "\"hits\":null}],"
              "\"watchdog\":[{\"at\":\"09:12\",\"what\":\"worker 801 missed heartbeats\"}],"
              "\"warnings\":[{\"kind\":\"config_rejected\",\"count\":1,\"at\":\"12:10:02\","
              "\"message\":\"2 errors\",\"details\":[\"a.yaml:1:1: error: x\","
              "\"b.yaml:2:2: error: y\"],\"ongoing\":true}],"
              "\"notes\":[\"n\"]}\n");
    for (const auto& c : text_cases()) EXPECT_TRUE(valid_json(format_status_json(c.report))) << c.name;
}

// Names, labels and messages with quotes, backslashes, control bytes, UTF-8 and broken UTF-8.
TEST(Status, OddCharacters) {
    const std::string odd = std::string("a\"b\\c\nd\te\x01\x1b[31m\x7f") + "w\xc3\xa4n" +
                            "\xf0\x9f\x94\xa5" + "\xff\xc3" + "/";
    StatusReport r;
    r.state = DaemonState::enforcing;
    r.version = odd;
    r.endpoints = {{odd, odd, IfaceState::up, Labels{{odd, odd}}, 1, 1, std::nullopt, std::nullopt}};
    r.policies = {{1.0, odd, odd, 1}};
    r.warnings = {{WarningKind::other, 1, odd, odd, {odd}, false}};
    r.notes = {odd};

    const std::string json = format_status_json(r);
    EXPECT_TRUE(valid_json(json)) << json;
    const std::string escaped =
        "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001b[31m\\u007fw\\u00e4n\\ud83d\\udd25\\ufffd\\ufffd/\"";
    EXPECT_NE(json.find("\"version\":" + escaped + ","), std::string::npos) << json;
    EXPECT_NE(json.find("\"labels\":{" + escaped + ":" + escaped + "}"), std::string::npos) << json;

    const std::string text = format_status_text(r, 200);
    const std::string shown =
        "a\"b\\c\\x0ad\\x09e\\x01\\x1b[31m\\x7fw\\xc3\\xa4n\\xf0\\x9f\\x94\\xa5\\xff\\xc3/";
    EXPECT_EQ(text.substr(0, 5 + shown.size()), "hepd " + shown);
    EXPECT_NE(text.find("\nwarn: " + shown + ": " + shown + "\n      " + shown + "\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\nnote: " + shown + "\n"), std::string::npos) << text;
    // At 80 the escaped name is cut in its column, never in the middle of the line layout.
    const std::string narrow = format_status_text(r, 80);
    EXPECT_NE(narrow.find("\na\"b\\c\\x0ad\\~ a\"b\\c\\x0~ up     "), std::string::npos) << narrow;
}

TEST(Status, Names) {
    EXPECT_EQ(apply_result_name(ApplyResult::rejected), "rejected");
    EXPECT_EQ(link_state_name(IfaceState::absent), "absent");
    EXPECT_EQ(warning_kind_name(WarningKind::lock_timeout), "lock timeout");
    EXPECT_EQ(warning_kind_key(WarningKind::rules_repaired), "rules_repaired");
}

}  // namespace
}  // namespace hepd
