// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/links.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace hepd {

Result<std::vector<Link>> read_links() {
    std::map<std::string, Link> by_name;
    if (struct if_nameindex* names = if_nameindex()) {
        for (auto* n = names; n->if_index != 0 && n->if_name; ++n) by_name[n->if_name].name = n->if_name;
        if_freenameindex(names);
    }
    struct ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return sys_error("getifaddrs");
    for (auto* a = list; a; a = a->ifa_next) {
        if (!a->ifa_name || !a->ifa_addr) continue;
        Link& l = by_name[a->ifa_name];
        l.name = a->ifa_name;
        IpAddr ip;
        if (a->ifa_addr->sa_family == AF_INET) {
            ip.family = 4;
            std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, 4);
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            ip.family = 6;
            std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, 16);
        } else {
            continue;
        }
        if (std::find(l.addrs.begin(), l.addrs.end(), ip) == l.addrs.end()) l.addrs.push_back(ip);
    }
    freeifaddrs(list);
    std::vector<Link> out;
    for (auto& [name, l] : by_name) out.push_back(std::move(l));
    return out;
}

std::optional<std::string> parse_link_arg(std::string_view arg, Link& out) {
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    if (name.empty() || name.size() > 15 || name == "*")
        return "interface name '" + std::string(name) + "' must be 1-15 characters";
    out.name = std::string(name);
    out.addrs.clear();
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view rest = arg.substr(eq + 1);
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        auto ip = parse_ip(one);
        if (!ip) return "'" + std::string(one) + "' is not an IP address";
        out.addrs.push_back(*ip);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }
    return std::nullopt;
}

}  // namespace hepd
