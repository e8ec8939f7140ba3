// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/setup.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

#include "hepd/files.hpp"
#include "hepd/uci_resources.hpp"

namespace hepd {

namespace {

constexpr size_t max_config_bytes = 1 << 20;
constexpr size_t max_dir_depth = 4;

std::string dir_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& name) {
    if (dir.empty() || dir == ".") return name;
    return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Relative paths inside hepd.conf are relative to the file's own directory.
std::string resolve_relative(const std::string& base_file, const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    return join(dir_of(base_file), p);
}

bool has_suffix(const std::string& s, std::string_view suf) {
    return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

bool is_yaml_name(const std::string& s) { return has_suffix(s, ".yaml") || has_suffix(s, ".yml"); }

// Where load_setup reads from: the filesystem (optionally recording every byte it reads, for
// commit-confirm's snapshot), or a snapshot taken earlier, served under the same paths.
struct Source {
    const SetupSources* from = nullptr;
    SetupSources* capture = nullptr;

    Result<std::string> read(const std::string& path, size_t cap) const {
        if (from) {
            for (const auto& [p, bytes] : from->files) {
                if (p != path) continue;
                if (bytes.size() > cap) return sys_error("read(" + path + ")", EFBIG);
                return bytes;
            }
            return sys_error("read(" + path + ")", ENOENT, "not in the snapshot");
        }
        auto r = read_file(path, cap);
        if (r && capture) capture->files.emplace_back(path, *r);
        return r;
    }

    FileKind kind(const std::string& path) const {
        if (!from) return file_kind(path);
        for (const auto& [p, bytes] : from->files)
            if (p == path) return FileKind::regular;
        for (const auto& d : from->dirs)
            if (d == path) return FileKind::directory;
        return FileKind::missing;
    }

    Result<std::vector<std::string>> list(const std::string& dir, const std::vector<std::string>& suffixes) const {
        if (!from) {
            auto r = list_dir(dir, suffixes);
            if (r && capture) capture->dirs.push_back(dir);
            return r;
        }
        std::vector<std::string> names;
        const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
        for (const auto& [p, bytes] : from->files) {
            if (!p.starts_with(prefix) || p.size() == prefix.size()) continue;
            std::string name = p.substr(prefix.size());
            if (name.find('/') != std::string::npos) continue;
            names.push_back(std::move(name));
        }
        std::sort(names.begin(), names.end());
        return names;
    }
};

// `what` names the limit in the message: "a resource file", "a configuration file".
std::optional<std::string> read_or_report(const std::string& path, Diagnostics& diags, size_t cap,
                                          std::string_view what, const Source& src = Source{}) {
    auto r = src.read(path, cap);
    if (!r) {
        const auto& e = r.error();
        std::string why = e.err == EFBIG ? "file is larger than " + std::to_string(cap) + " bytes (" +
                                               std::to_string(cap >> 20) + " MiB), the limit for " + std::string(what)
                                         : std::string(std::strerror(e.err));
        diags.error(Location{path, 0, 0}, "cannot read: " + why);
        return std::nullopt;
    }
    return std::move(r).value();
}

enum class TextKind { ini, uci };

// UCI files start (after comments) with `config` or `package`; anything else is taken as INI.
TextKind sniff(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
        size_t eol = text.find('\n', i);
        std::string_view line = text.substr(i, eol == std::string_view::npos ? text.npos : eol - i);
        size_t b = line.find_first_not_of(" \t\r");
        if (b != std::string_view::npos && line[b] != '#' && line[b] != ';') {
            line = line.substr(b);
            if (line.starts_with("config ") || line.starts_with("config\t") || line.starts_with("package "))
                return TextKind::uci;
            return TextKind::ini;
        }
        if (eol == std::string_view::npos) break;
        i = eol + 1;
    }
    return TextKind::ini;
}

// Networks resolved by the OpenWrt init script: "NAME DEVICE" per line in STATE_DIR/networks.
std::map<std::string, std::string> read_networks(const std::string& state_dir) {
    std::map<std::string, std::string> out;
    auto r = read_file(join(state_dir, "networks"), 64 * 1024);
    if (!r) return out;
    std::string_view text = *r;
    size_t i = 0;
    while (i < text.size()) {
        size_t eol = text.find('\n', i);
        std::string_view line = text.substr(i, eol == std::string_view::npos ? text.npos : eol - i);
        size_t sp = line.find(' ');
        if (sp != std::string_view::npos && sp > 0 && sp + 1 < line.size())
            out.emplace(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
        if (eol == std::string_view::npos) break;
        i = eol + 1;
    }
    return out;
}

struct Inputs {
    std::optional<ini::File> ini;
    std::string ini_path;
    std::optional<uci::File> uci;
    std::string uci_path;
    std::string uci_text;  // kept for message columns inside quoted values
};

void load_yaml_file(const std::string& path, Setup& s, Diagnostics& diags, const Source& src = Source{}) {
    auto text = read_or_report(path, diags, ModelLimits::max_file_bytes, "a resource file", src);
    if (!text) return;
    s.files.push_back(path);
    load_resources(*text, path, s.model, diags);
}

void finish(Setup& s, Inputs& in, Diagnostics& diags) {
    finish_model(s.model, diags);
    std::vector<FelixConfigDoc> docs;
    for (const auto& f : s.model.felix_configs) docs.push_back(FelixConfigDoc{f.name, &f.spec, f.where});
    s.felix = resolve_felix_params(in.ini ? &*in.ini : nullptr, in.ini_path, in.uci ? &*in.uci : nullptr,
                                   in.uci_path, docs, s.daemon.node, diags);
}

// Subdirectories of `dir` in name order (hidden ones skipped), for recursive `hepd check DIR`.
std::vector<std::string> subdirs_of(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    while (const dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const std::string full = join(dir, e->d_name);
        if (file_kind(full) == FileKind::directory) out.push_back(full);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

// Directories already walked, by device and inode: a symlink back up the tree (or two paths to
// one directory) is read once, so a loop cannot load the same files again and again.
using DirIds = std::set<std::pair<dev_t, ino_t>>;

void walk_dir(const std::string& dir, size_t depth, std::vector<std::string>& yaml_files,
              std::vector<std::string>& conf_files, DirIds& seen, Diagnostics& diags) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && !seen.emplace(st.st_dev, st.st_ino).second) return;
    auto names = list_dir(dir, {".yaml", ".yml", ".conf"});
    if (!names) {
        diags.error(Location{dir, 0, 0}, "cannot read directory: " + std::string(std::strerror(names.error().err)));
        return;
    }
    for (const auto& n : *names) (is_yaml_name(n) ? yaml_files : conf_files).push_back(join(dir, n));
    if (depth >= max_dir_depth) return;
    for (const auto& sub : subdirs_of(dir)) walk_dir(sub, depth + 1, yaml_files, conf_files, seen, diags);
}

}  // namespace

std::string config_path_from(const char* flag_value) {
    if (flag_value && *flag_value) return flag_value;
    const char* env = std::getenv("HEPD_CONFIG");
    if (env && *env) return env;
    return default_config_path;
}

std::string local_hostname() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return {};
    std::string h = buf;
    for (auto& ch : h)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return h;
}

namespace {

// hepd.conf and the UCI file it names, parsed, and the daemon settings from both: the first half
// of load_setup, and all that load_daemon_settings needs.
void load_settings(const std::string& config_path, bool explicit_path, Setup& s, Inputs& in, Diagnostics& diags,
                   const Source& src) {
    s.config_path = config_path;
    in.ini_path = config_path;
    if (src.kind(config_path) == FileKind::missing && !explicit_path) {
        diags.warning(Location{config_path, 0, 0}, "not found; using built-in defaults");
    } else if (auto text = read_or_report(config_path, diags, max_config_bytes, "a configuration file", src)) {
        s.files.push_back(config_path);
        in.ini = ini::parse_ini(*text, config_path, diags);
    }
    const std::string host = local_hostname();
    // First pass without UCI to learn where the UCI file is; its diagnostics are repeated by the
    // full pass below, so they are dropped here.
    Diagnostics scratch;
    DaemonConfig first = load_daemon_config(in.ini ? &*in.ini : nullptr, in.ini_path, nullptr, "", host, scratch);
    if (!first.uci_config.empty()) {
        in.uci_path = resolve_relative(config_path, first.uci_config);
        if (auto text = read_or_report(in.uci_path, diags, max_config_bytes, "a configuration file", src)) {
            s.files.push_back(in.uci_path);
            in.uci = uci::parse_uci(*text, in.uci_path, diags);
            in.uci_text = std::move(*text);
        }
    }
    s.daemon = load_daemon_config(in.ini ? &*in.ini : nullptr, in.ini_path, in.uci ? &*in.uci : nullptr, in.uci_path,
                                  host, diags);
    s.daemon.resource_dir = resolve_relative(config_path, s.daemon.resource_dir);
}

Setup load_from(const std::string& config_path, bool explicit_path, Diagnostics& diags, const Source& src) {
    Setup s;
    Inputs in;
    if (src.capture) src.capture->config_path = config_path;
    load_settings(config_path, explicit_path, s, in, diags, src);

    switch (src.kind(s.daemon.resource_dir)) {
    case FileKind::directory: {
        auto names = src.list(s.daemon.resource_dir, {".yaml", ".yml"});
        if (!names) {
            diags.error(Location{s.daemon.resource_dir, 0, 0},
                        "cannot read resource_dir: " + std::string(std::strerror(names.error().err)));
        } else {
            for (const auto& n : *names) load_yaml_file(join(s.daemon.resource_dir, n), s, diags, src);
        }
        break;
    }
    case FileKind::missing:
        if (!in.uci)
            diags.warning(s.daemon.origin("resource_dir"),
                          "resource_dir " + s.daemon.resource_dir + " does not exist: no resources");
        break;
    default:
        diags.error(s.daemon.origin("resource_dir"), "resource_dir " + s.daemon.resource_dir + " is not a directory");
    }
    if (in.uci) {
        UciResourceContext rc{s.daemon.node, read_networks(s.daemon.state_dir), in.uci_text};
        load_uci_resources(*in.uci, in.uci_path, rc, s.model, diags);
    }
    finish(s, in, diags);
    return s;
}

}  // namespace

Setup load_setup(const std::string& config_path, bool explicit_path, Diagnostics& diags, SetupSources* capture) {
    Source src;
    src.capture = capture;
    return load_from(config_path, explicit_path, diags, src);
}

Setup load_setup_snapshot(const SetupSources& from, Diagnostics& diags) {
    Source src;
    src.from = &from;
    return load_from(from.config_path, false, diags, src);
}

DaemonConfig load_daemon_settings(const std::string& config_path, bool explicit_path, Diagnostics& diags) {
    Setup s;
    Inputs in;
    load_settings(config_path, explicit_path, s, in, diags, Source{});
    return s.daemon;
}

Setup load_paths(const std::vector<std::string>& paths, Diagnostics& diags) {
    Setup s;
    Inputs in;
    std::vector<std::string> yaml_files, conf_files;
    DirIds seen;
    for (const auto& p : paths) {
        switch (file_kind(p)) {
        case FileKind::directory: walk_dir(p, 0, yaml_files, conf_files, seen, diags); break;
        case FileKind::regular: (is_yaml_name(p) ? yaml_files : conf_files).push_back(p); break;
        case FileKind::missing: diags.error(Location{p, 0, 0}, "no such file or directory"); break;
        case FileKind::other: diags.error(Location{p, 0, 0}, "not a regular file or directory"); break;
        }
    }
    for (const auto& p : conf_files) {
        auto text = read_or_report(p, diags, max_config_bytes, "a configuration file");
        if (!text) continue;
        s.files.push_back(p);
        if (sniff(*text) == TextKind::uci) {
            if (in.uci) {
                diags.error(Location{p, 0, 0}, "only one UCI file can be checked at a time (already: " + in.uci_path + ")");
                continue;
            }
            in.uci = uci::parse_uci(*text, p, diags);
            in.uci_path = p;
            in.uci_text = std::move(*text);
        } else {
            if (in.ini) {
                diags.error(Location{p, 0, 0}, "only one hepd.conf can be checked at a time (already: " + in.ini_path + ")");
                continue;
            }
            in.ini = ini::parse_ini(*text, p, diags);
            in.ini_path = p;
        }
    }
    s.config_path = in.ini_path;
    s.daemon = load_daemon_config(in.ini ? &*in.ini : nullptr, in.ini_path, in.uci ? &*in.uci : nullptr, in.uci_path,
                                  local_hostname(), diags);
    for (const auto& p : yaml_files) load_yaml_file(p, s, diags);
    if (in.uci) {
        UciResourceContext rc{s.daemon.node, {}, in.uci_text};
        load_uci_resources(*in.uci, in.uci_path, rc, s.model, diags);
    }
    finish(s, in, diags);
    return s;
}

std::string summarize(const Setup& s) {
    auto count = [](size_t n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    size_t user_profiles = std::count_if(s.model.profiles.begin(), s.model.profiles.end(),
                                         [](const Profile& p) { return !p.builtin; });
    return count(s.files.size(), "file", "files") + ": " +
           count(s.model.host_endpoints.size(), "HostEndpoint", "HostEndpoints") + ", " +
           count(s.model.policies.size(), "GlobalNetworkPolicy", "GlobalNetworkPolicies") + ", " +
           count(s.model.network_sets.size(), "GlobalNetworkSet", "GlobalNetworkSets") + ", " +
           count(user_profiles, "Profile", "Profiles") + ", " +
           count(s.model.felix_configs.size(), "FelixConfiguration", "FelixConfigurations");
}

}  // namespace hepd
