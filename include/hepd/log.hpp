// SPDX-License-Identifier: GPL-2.0-or-later
// Logging: syslog (OpenWrt's logread shows it) and, with `hepd run --stderr`, stderr.
#pragma once

#include <cstdarg>

#include "hepd/config.hpp"

namespace hepd {

void log_open(bool to_stderr, LogLevel level);
void log_set_level(LogLevel level);
void log_msg(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define HEPD_LOG_ERROR(...) ::hepd::log_msg(::hepd::LogLevel::error, __VA_ARGS__)
#define HEPD_LOG_WARN(...) ::hepd::log_msg(::hepd::LogLevel::warn, __VA_ARGS__)
#define HEPD_LOG_INFO(...) ::hepd::log_msg(::hepd::LogLevel::info, __VA_ARGS__)
#define HEPD_LOG_DEBUG(...) ::hepd::log_msg(::hepd::LogLevel::debug, __VA_ARGS__)

}  // namespace hepd
