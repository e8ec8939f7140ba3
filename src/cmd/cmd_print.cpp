// SPDX-License-Identifier: GPL-2.0-or-later
// hepd print: what hepd would program, as ipset and iptables-save text, touching nothing.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "hepd/compile.hpp"
#include "hepd/links.hpp"
#include "hepd/setup.hpp"

namespace hepd::cmd {

int cmd_print(Args args) {
    const char* config_flag = nullptr;
    std::string only;
    std::vector<Link> links;
    bool have_links = false;
    std::vector<std::string> paths;
    for (size_t i = 0; i < args.size(); ++i) {
        const char* a = args[i];
        auto value = [&](const char* what) -> const char* {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "hepd print: %s needs %s\n", a, what);
                return nullptr;
            }
            return args[++i];
        };
        if (std::strcmp(a, "-c") == 0 || std::strcmp(a, "--config") == 0) {
            if (!(config_flag = value("a file"))) return 2;
        } else if (std::strcmp(a, "--only") == 0) {
            const char* v = value("ipset, ipv4 or ipv6");
            if (!v) return 2;
            only = v;
            if (only != "ipset" && only != "ipv4" && only != "ipv6") {
                std::fprintf(stderr, "hepd print: --only takes ipset, ipv4 or ipv6, not '%s'\n", v);
                return 2;
            }
        } else if (std::strcmp(a, "--link") == 0) {
            const char* v = value("IFACE[=IP,...]");
            if (!v) return 2;
            Link l;
            if (auto err = parse_link_arg(v, l)) {
                std::fprintf(stderr, "hepd print: --link %s: %s\n", v, err->c_str());
                return 2;
            }
            links.push_back(std::move(l));
            have_links = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            std::fprintf(stderr, "hepd print: unknown option '%s'\n", a);
            return 2;
        } else {
            paths.emplace_back(a);
        }
    }
    Diagnostics diags;
    Setup setup;
    if (paths.empty()) {
        setup = load_setup(config_path_from(config_flag), config_flag || std::getenv("HEPD_CONFIG"), diags);
    } else {
        if (config_flag) paths.insert(paths.begin(), config_flag);
        setup = load_paths(paths, diags);
    }
    diags.sort();
    if (diags.has_errors()) {
        std::fputs(diags.format().c_str(), stderr);
        return 1;
    }
    if (!have_links) {
        auto live = read_links();
        if (!live) {
            std::fprintf(stderr, "hepd print: %s\n", live.error().message().c_str());
            return 1;
        }
        links = std::move(live).value();
    }
    CompileInput in{setup.model, setup.felix, setup.daemon.node, ipv6_enabled(setup.daemon, setup.felix), links};
    // Rendered while compiling, one set or chain at a time: the whole Ruleset and its text
    // would be over ten times the size of the model for a large setup.
    std::optional<nf::RenderPart> part;
    if (only == "ipset") part = nf::RenderPart::ipset;
    if (only == "ipv4") part = nf::RenderPart::ipv4;
    if (only == "ipv6") part = nf::RenderPart::ipv6;
    render_compiled(in, part, [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); });
    return 0;
}

}  // namespace hepd::cmd
