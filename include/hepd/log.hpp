// SPDX-License-Identifier: GPL-2.0-or-later
// Logging: syslog (OpenWrt's logread shows it) and, with `hepd run --stderr`, stderr.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>

#include "hepd/config.hpp"

namespace hepd {

void log_open(bool to_stderr, LogLevel level);
void log_set_level(LogLevel level);
void log_msg(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// The wall clock, for labels only (log lines, status times, the events and markers people read):
// every timer and deadline of hepd is CLOCK_MONOTONIC, which a clock step does not move. These
// are the only reads of the wall clock outside log lines (tests/netns/61-faults.sh checks).
int64_t wall_seconds();                          // seconds since the epoch
std::string wall_clock_text(int64_t epoch_s);    // "HH:MM:SS", local time

#define HEPD_LOG_ERROR(...) ::hepd::log_msg(::hepd::LogLevel::error, __VA_ARGS__)
#define HEPD_LOG_WARN(...) ::hepd::log_msg(::hepd::LogLevel::warn, __VA_ARGS__)
#define HEPD_LOG_INFO(...) ::hepd::log_msg(::hepd::LogLevel::info, __VA_ARGS__)
#define HEPD_LOG_DEBUG(...) ::hepd::log_msg(::hepd::LogLevel::debug, __VA_ARGS__)

}  // namespace hepd
