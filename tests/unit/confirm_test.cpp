// SPDX-License-Identifier: GPL-2.0-or-later
// Commit-confirm: the snapshot and marker formats, the decisions (boot, reload gates, windows),
// the window's state machine, and the round trip files -> snapshot -> the same configuration,
// through confirmed_dir in a temporary directory.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hepd/compile.hpp"
#include "hepd/confirm.hpp"
#include "hepd/confirm_store.hpp"
#include "hepd/setup.hpp"

namespace hepd {
namespace {

using namespace std::chrono_literals;
using TP = ConfirmState::TimePoint;

SetupSources sample() {
    SetupSources s;
    s.config_path = "/etc/hepd/hepd.conf";
    s.dirs = {"/etc/hepd/resources.d"};
    s.files = {{"/etc/hepd/hepd.conf", "[hepd]\nconfirm_timeout = 90\n"},
               {"/etc/hepd/resources.d/10-a.yaml", std::string("binary\0safe\nend\nfile 1 2\n", 25)},
               {"/etc/hepd/resources.d/20-empty.yaml", ""}};
    return s;
}

// --- formats ------------------------------------------------------------------------------------

TEST(Snapshot, RoundTripIsExactAndBinarySafe) {
    const SetupSources s = sample();
    const std::string text = format_snapshot(s);
    EXPECT_TRUE(text.starts_with("hepd-snapshot 1\nconfig 19\n/etc/hepd/hepd.conf\ndir 21\n"));
    std::string problem;
    auto back = parse_snapshot(text, &problem);
    ASSERT_TRUE(back) << problem;
    EXPECT_EQ(*back, s);
    EXPECT_EQ(format_snapshot(SetupSources{}), "hepd-snapshot 1\nconfig 0\n\nend\n");
    EXPECT_TRUE(parse_snapshot(format_snapshot(SetupSources{})));
}

TEST(Snapshot, EveryCutAndEveryExtraByteIsRefused) {
    const std::string text = format_snapshot(sample());
    for (size_t n = 0; n < text.size(); ++n) EXPECT_FALSE(parse_snapshot(text.substr(0, n))) << "cut at " << n;
    EXPECT_FALSE(parse_snapshot(text + "x"));
    const char* bad[] = {
        "hepd-snapshot 2\nconfig 0\n\nend\n",
        "hepd-snapshot 1\nend\n",                            // no config
        "hepd-snapshot 1\nconfig 0\n\nconfig 0\n\nend\n",    // two
        "hepd-snapshot 1\nconfig 1\n\nend\n",                // length does not match
        "hepd-snapshot 1\nconfig 0\n\nfile 0 0\n\n\nend\n",  // empty path
        "hepd-snapshot 1\nconfig 0\n\nfile 1\na\nend\n",     // one length only
        "hepd-snapshot 1\nconfig 0\n\nfile -1 0\na\n\nend\n",
        "hepd-snapshot 1\nconfig 0\n\nlink 0\n\nend\n",
        "hepd-snapshot 1\nconfig 99999999999999\n\nend\n",
    };
    for (const char* b : bad) EXPECT_FALSE(parse_snapshot(b)) << b;
}

TEST(Snapshot, HashFollowsEveryByteAndPath) {
    const SetupSources a = sample();
    SetupSources b = a;
    EXPECT_EQ(sources_hash(a), sources_hash(b));
    EXPECT_EQ(sources_hash(a).size(), 64u);
    b.files[1].second += " ";
    EXPECT_NE(sources_hash(a), sources_hash(b));
    b = a;
    b.files[2].first = "/etc/hepd/resources.d/21-empty.yaml";
    EXPECT_NE(sources_hash(a), sources_hash(b));
    b = a;
    b.dirs.clear();
    EXPECT_NE(sources_hash(a), sources_hash(b));
}

TEST(Marker, RoundTripAndRefusals) {
    const std::string h(64, 'a');
    for (auto st : {ConfirmMarker::State::pending, ConfirmMarker::State::rolled_back}) {
        ConfirmMarker m{st, h, 1767225600};
        auto back = parse_marker(format_marker(m));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, m);
    }
    EXPECT_EQ(format_marker(ConfirmMarker{ConfirmMarker::State::rolled_back, h, 5}),
              "hepd-unconfirmed 1\nstate rolled-back\nhash " + h + "\nsince 5\n");
    const std::string bad[] = {
        "",
        "hepd-unconfirmed 1\nstate pending\n",                               // no hash
        "hepd-unconfirmed 1\nstate maybe\nhash " + h + "\n",                 // state
        "hepd-unconfirmed 1\nstate pending\nhash " + h.substr(1) + "\n",     // short hash
        "hepd-unconfirmed 1\nstate pending\nhash " + std::string(64, 'G') + "\n",
        "hepd-unconfirmed 1\nstate pending\nhash " + h + "\nsince soon\n",
        "hepd-unconfirmed 1\nstate pending\nhash " + h + "\nhash " + h + "\n",
        "hepd-unconfirmed 1\nstate pending\nhash " + h,                      // no final LF
    };
    for (const auto& b : bad) EXPECT_FALSE(parse_marker(b)) << b;
}

// --- decisions ----------------------------------------------------------------------------------

TEST(Boot, Decisions) {
    const std::string h(64, 'a'), other(64, 'b');
    using S = ConfirmMarker::State;
    struct Row {
        const char* name;
        std::optional<ConfirmMarker> marker;
        std::string live;
        bool have_snapshot;
        bool use_snapshot, mark_rolled_back, remove_marker;
    };
    const Row rows[] = {
        {"no marker", std::nullopt, h, true, false, false, false},
        {"pending: the confirmed one, and the marker says rolled back", ConfirmMarker{S::pending, h, 1}, h, true,
         true, true, false},
        {"pending, files edited since: still the confirmed one", ConfirmMarker{S::pending, h, 1}, other, true, true,
         true, false},
        {"pending, snapshot unreadable: the files", ConfirmMarker{S::pending, h, 1}, h, false, false, false, false},
        {"rolled back, same files: the confirmed one", ConfirmMarker{S::rolled_back, h, 1}, h, true, true, false,
         false},
        {"rolled back, files changed: them, marker gone", ConfirmMarker{S::rolled_back, h, 1}, other, true, false,
         false, true},
        {"rolled back, files unreadable: not the same files", ConfirmMarker{S::rolled_back, h, 1}, "", true, false,
         false, true},
    };
    for (const auto& r : rows) {
        BootDecision d = decide_boot(r.marker, r.live, r.have_snapshot);
        EXPECT_EQ(d.use_snapshot, r.use_snapshot) << r.name;
        EXPECT_EQ(d.mark_rolled_back, r.mark_rolled_back) << r.name;
        EXPECT_EQ(d.remove_marker, r.remove_marker) << r.name;
        EXPECT_EQ(d.why.empty(), !r.marker.has_value()) << r.name;
    }
}

TEST(Reload, WindowsAndGates) {
    using T = ReloadTrigger;
    // window_for(trigger, requested, confirm_timeout)
    EXPECT_EQ(window_for(T::cli_apply, std::nullopt, 90), 90u);
    EXPECT_EQ(window_for(T::cli_apply, 3u, 90), 3u);
    EXPECT_EQ(window_for(T::cli_apply, 0u, 90), 0u);  // --no-confirm
    EXPECT_EQ(window_for(T::cli_apply, std::nullopt, 0), 0u);
    EXPECT_EQ(window_for(T::cli_reload, std::nullopt, 90), 90u);
    EXPECT_EQ(window_for(T::signal, std::nullopt, 90), 0u);  // LuCI/procd: never stacked
    EXPECT_EQ(window_for(T::files, std::nullopt, 90), 0u);

    struct Row {
        T t;
        bool pending, down;
        uint32_t timeout;
        ReloadGate want;
    };
    const Row rows[] = {
        {T::files, false, false, 0, ReloadGate::go},
        {T::files, false, false, 60, ReloadGate::watch_only},
        {T::signal, false, false, 60, ReloadGate::go},
        {T::cli_reload, false, false, 60, ReloadGate::go},
        {T::files, true, false, 0, ReloadGate::defer},
        {T::signal, true, false, 0, ReloadGate::defer},
        {T::cli_apply, true, false, 0, ReloadGate::refuse_pending},
        {T::cli_reload, true, false, 0, ReloadGate::refuse_pending},
        {T::cli_apply, false, true, 0, ReloadGate::refuse_down},
        {T::files, true, true, 60, ReloadGate::refuse_down},
    };
    for (const auto& r : rows)
        EXPECT_EQ(gate_reload(r.t, r.pending, r.down, r.timeout), r.want)
            << reload_trigger_name(r.t) << " pending " << r.pending << " down " << r.down << " timeout " << r.timeout;

    const std::string h(64, 'a');
    EXPECT_TRUE(skip_rolled_back(T::files, h, h));
    EXPECT_TRUE(skip_rolled_back(T::signal, h, h));
    EXPECT_FALSE(skip_rolled_back(T::cli_apply, h, h));  // on purpose
    EXPECT_FALSE(skip_rolled_back(T::cli_reload, h, h));
    EXPECT_FALSE(skip_rolled_back(T::files, h, std::string(64, 'b')));
    EXPECT_FALSE(skip_rolled_back(T::files, h, ""));
}

TEST(ConfirmState, AWindowConfirmed) {
    ConfirmState s;
    const TP t0{};
    EXPECT_EQ(s.phase(), ConfirmState::Phase::none);
    EXPECT_FALSE(s.wants_save());
    s.open(t0, 90, "cand");
    EXPECT_TRUE(s.pending());
    EXPECT_EQ(s.seconds_left(t0), 90u);
    EXPECT_EQ(s.seconds_left(t0 + 500ms), 90u);  // rounded up
    EXPECT_EQ(s.seconds_left(t0 + 89001ms), 1u);
    EXPECT_FALSE(s.due(t0 + 89999ms));
    EXPECT_TRUE(s.due(t0 + 90s));
    EXPECT_EQ(s.seconds_left(t0 + 91s), 0u);
    EXPECT_TRUE(s.wants_save());
    s.saved();
    EXPECT_EQ(s.phase(), ConfirmState::Phase::none);
    EXPECT_FALSE(s.due(t0 + 100s));
}

TEST(ConfirmState, AWindowThatRollsBackThenANewConfiguration) {
    ConfirmState s;
    const TP t0{};
    s.open(t0, 3, "bad");
    s.rolled_back();
    EXPECT_EQ(s.phase(), ConfirmState::Phase::rolled_back);
    EXPECT_EQ(s.rolled_back_hash(), "bad");
    EXPECT_FALSE(s.wants_save());
    EXPECT_FALSE(s.pending());
    s.open(t0 + 10s, 3, "better");  // a new window over the same confirmed configuration
    EXPECT_TRUE(s.pending());
    s.saved();
    EXPECT_EQ(s.rolled_back_hash(), "");
    s.booted_rolled_back("bad");
    EXPECT_EQ(s.phase(), ConfirmState::Phase::rolled_back);
    s.applied_without_window();
    EXPECT_EQ(s.phase(), ConfirmState::Phase::none);
    EXPECT_EQ(s.rolled_back_hash(), "");
}

TEST(ConfirmState, ASaveThatFailsIsConfirmedInRamAndCanBeRetried) {
    ConfirmState s;
    const TP t0{};
    s.open(t0, 3, "cand");
    s.save_failed("No space left on device");
    EXPECT_EQ(s.phase(), ConfirmState::Phase::unsaved);
    EXPECT_FALSE(s.pending());
    EXPECT_FALSE(s.due(t0 + 1h));  // the deadline no longer applies: confirmed
    EXPECT_TRUE(s.wants_save());
    EXPECT_EQ(s.save_error(), "No space left on device");
    s.saved();
    EXPECT_EQ(s.phase(), ConfirmState::Phase::none);
    s.open(t0, 3, "cand");
    s.abandon();
    EXPECT_EQ(s.phase(), ConfirmState::Phase::none);
}

// --- files -> snapshot -> the same configuration ----------------------------------------------

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/hepd-confirm-test-XXXXXX";
        if (char* p = ::mkdtemp(tmpl)) path_ = p;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

void write(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
}

TEST(SnapshotLoad, TheSnapshotLoadsAsTheFilesDidAfterTheyChange) {
    TempDir t;
    ::mkdir((t / "res").c_str(), 0700);
    write(t / "hepd.conf", "[hepd]\nnode = gw\nresource_dir = res\nuci_config = hepd.uci\n[global]\n"
                           "FailsafeInboundHostPorts = tcp:2222\n");
    write(t / "hepd.uci", "config hepd 'main'\n\toption confirm_timeout '30'\n");
    write(t / "res/10-hep.yaml", "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: wan}\n"
                                 "spec: {node: gw, interfaceName: wan}\n");
    write(t / "res/notes.txt", "not read");
    SetupSources src;
    Diagnostics d1;
    hepd::Setup live = load_setup(t / "hepd.conf", true, d1, &src);
    ASSERT_FALSE(d1.has_errors()) << d1.format();
    EXPECT_EQ(src.config_path, t / "hepd.conf");
    ASSERT_EQ(src.files.size(), 3u);
    EXPECT_EQ(src.files[0].first, t / "hepd.conf");
    EXPECT_EQ(src.files[1].first, t / "hepd.uci");
    EXPECT_EQ(src.files[2].first, t / "res/10-hep.yaml");
    EXPECT_EQ(src.dirs, std::vector<std::string>{t / "res"});

    // The files change (and one goes), the snapshot still loads the old configuration.
    auto stored = parse_snapshot(format_snapshot(src));
    ASSERT_TRUE(stored);
    write(t / "hepd.conf", "[hepd]\nnode = other\n");
    std::filesystem::remove(t / "res/10-hep.yaml");
    Diagnostics d2;
    hepd::Setup snap = load_setup_snapshot(*stored, d2);
    ASSERT_FALSE(d2.has_errors()) << d2.format();
    EXPECT_EQ(snap.daemon.node, "gw");
    EXPECT_EQ(snap.daemon.confirm_timeout, 30u);
    EXPECT_EQ(snap.felix.failsafe_inbound, live.felix.failsafe_inbound);
    ASSERT_EQ(snap.model.host_endpoints.size(), 1u);
    EXPECT_EQ(snap.model.host_endpoints[0].name, "wan");
    EXPECT_EQ(summarize(snap), summarize(live));
    const Compiled a = compile(CompileInput{live.model, live.felix, "gw", true, {}});
    const Compiled b = compile(CompileInput{snap.model, snap.felix, "gw", true, {}});
    EXPECT_EQ(a.rules, b.rules);

    // An empty resource directory stays an existing, empty one.
    SetupSources empty = *stored;
    empty.files.pop_back();
    Diagnostics d3;
    load_setup_snapshot(empty, d3);
    EXPECT_EQ(d3.format().find("does not exist"), std::string::npos) << d3.format();
}

TEST(ConfirmStore, SnapshotAndMarkerInADirectoryItCreates) {
    TempDir t;
    ConfirmStore store(t / "etc/hepd/confirmed");
    auto none = store.read_snapshot();
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    EXPECT_FALSE(store.read_marker());
    ASSERT_TRUE(store.write_snapshot(sample()));
    struct stat st {};
    ASSERT_EQ(::stat((t / "etc/hepd/confirmed").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    auto back = store.read_snapshot();
    ASSERT_TRUE(back && *back);
    EXPECT_EQ(**back, sample());

    const ConfirmMarker m{ConfirmMarker::State::pending, std::string(64, 'c'), 42};
    ASSERT_TRUE(store.write_marker(m));
    EXPECT_EQ(store.read_marker(), m);
    ASSERT_TRUE(store.remove_marker());
    EXPECT_FALSE(store.read_marker());
    EXPECT_TRUE(store.remove_marker());  // absent is fine

    write(store.snapshot_path(), "hepd-snapshot 1\ncut");
    EXPECT_FALSE(store.read_snapshot());
    write(store.marker_path(), "junk");
    std::string problem;
    EXPECT_FALSE(store.read_marker(&problem));
    EXPECT_NE(problem.find("not a hepd marker"), std::string::npos);
}

}  // namespace
}  // namespace hepd
