// SPDX-License-Identifier: GPL-2.0-or-later
// confirmed_dir on flash (confirm.hpp): the confirmed snapshot and the unconfirmed marker.
// Every write is write, fsync, rename, fsync of the directory (write_file_atomic), so a power cut
// leaves either the old file or the new one; a failed write (full or read-only filesystem) leaves
// the old file as it was. Flash is written only when a configuration becomes the confirmed one
// (`hepd confirm`, or a confirm window opening over a configuration applied without one) and for
// the marker, a few dozen bytes per window.
#pragma once

#include <optional>
#include <string>

#include "hepd/confirm.hpp"
#include "hepd/result.hpp"

namespace hepd {

class ConfirmStore {
public:
    explicit ConfirmStore(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }
    std::string snapshot_path() const { return dir_ + "/snapshot"; }
    std::string marker_path() const { return dir_ + "/unconfirmed"; }

    // nullopt when there is no snapshot; an error when it cannot be read or does not parse.
    Result<std::optional<SetupSources>> read_snapshot() const;
    // Creates the directory (mode 0700) when missing, then writes atomically.
    Result<void> write_snapshot(const SetupSources& s) const;

    // nullopt when absent or unreadable (an unreadable marker is reported through `problem`).
    std::optional<ConfirmMarker> read_marker(std::string* problem = nullptr) const;
    Result<void> write_marker(const ConfirmMarker& m) const;
    // Removes the marker (absent is fine) and makes the removal durable.
    Result<void> remove_marker() const;

private:
    Result<void> ensure_dir() const;
    std::string dir_;
};

}  // namespace hepd
