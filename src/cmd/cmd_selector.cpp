// SPDX-License-Identifier: GPL-2.0-or-later
// hepd selector EXPR [KEY=VALUE...]: evaluates a selector against labels given on the command
// line, the way Felix would evaluate it against an endpoint's labels.
//
// Exit status: 0 match, 1 no match (the word is printed on stdout as well), 2 usage error,
// invalid selector or invalid label (a message on stderr, nothing on stdout).
#include <cstdio>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "hepd/diag.hpp"
#include "hepd/labels.hpp"
#include "hepd/selector.hpp"

namespace hepd::cmd {

namespace {

void print_view(FILE* out, std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), out);
}

}  // namespace

int cmd_selector(Args args) {
    if (args.empty()) {
        std::fprintf(stderr,
                     "usage: hepd selector EXPR [KEY=VALUE...]\n"
                     "  prints 'match' (exit 0) or 'no match' (exit 1); exit 2 on invalid input\n"
                     "  example: hepd selector \"role == 'edge' && !has(quarantine)\" role=edge\n");
        return 2;
    }

    Diagnostics diags;
    const auto sel = Selector::parse(args[0], diags);
    if (!sel) {
        print_view(stderr, diags.format());
        return 2;
    }

    Labels labels;
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const size_t eq = arg.find('=');
        if (eq == std::string_view::npos) {
            std::fprintf(stderr, "hepd selector: label argument '%s' is not KEY=VALUE\n", args[i]);
            return 2;
        }
        const std::string_view key = arg.substr(0, eq);
        const std::string_view value = arg.substr(eq + 1);
        if (auto why = check_label_key(key)) {
            std::fprintf(stderr, "hepd selector: label argument '%s': invalid key: %s\n", args[i],
                         why->c_str());
            return 2;
        }
        if (auto why = check_label_value(value)) {
            std::fprintf(stderr, "hepd selector: label argument '%s': invalid value: %s\n",
                         args[i], why->c_str());
            return 2;
        }
        if (labels.has(key)) {
            std::fprintf(stderr, "hepd selector: label argument '%s': key '%.*s' given twice\n",
                         args[i], static_cast<int>(key.size()), key.data());
            return 2;
        }
        labels.set(std::string(key), std::string(value));
    }

    if (sel->matches(labels)) {
        std::printf("match\n");
        return 0;
    }
    std::printf("no match\n");
    return 1;
}

}  // namespace hepd::cmd
