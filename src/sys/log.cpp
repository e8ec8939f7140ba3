// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/log.hpp"

#include <syslog.h>

#include <cstdio>
#include <ctime>

namespace hepd {

namespace {

bool g_stderr = false;
LogLevel g_level = LogLevel::info;
bool g_open = false;

int syslog_priority(LogLevel l) {
    switch (l) {
    case LogLevel::error: return LOG_ERR;
    case LogLevel::warn: return LOG_WARNING;
    case LogLevel::info: return LOG_INFO;
    case LogLevel::debug: return LOG_DEBUG;
    }
    return LOG_INFO;
}

const char* level_word(LogLevel l) {
    switch (l) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    }
    return "info";
}

}  // namespace

void log_open(bool to_stderr, LogLevel level) {
    g_stderr = to_stderr;
    g_level = level;
    openlog("hepd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    g_open = true;
}

void log_set_level(LogLevel level) { g_level = level; }

int64_t wall_seconds() { return static_cast<int64_t>(time(nullptr)); }

std::string wall_clock_text(int64_t epoch_s) {
    const time_t t = static_cast<time_t>(epoch_s);
    tm tmv{};
    localtime_r(&t, &tmv);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", tmv.tm_hour, tmv.tm_min, tmv.tm_sec);
    return buf;
}

void log_msg(LogLevel level, const char* fmt, ...) {
    if (static_cast<int>(level) > static_cast<int>(g_level)) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (g_open) syslog(syslog_priority(level), "%s", buf);
    if (g_stderr || !g_open) {
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        tm t{};
        localtime_r(&ts.tv_sec, &t);
        std::fprintf(stderr, "%02d:%02d:%02d.%03ld hepd %s: %s\n", t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000,
                     level_word(level), buf);
    }
}

}  // namespace hepd
