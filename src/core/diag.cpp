// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/diag.hpp"

#include <algorithm>

namespace hepd {

FileName::FileName(std::string name) {
    if (!name.empty()) text_ = std::make_shared<const std::string>(std::move(name));
}

const std::string& FileName::str() const {
    static const std::string none;
    return text_ ? *text_ : none;
}

std::string Location::format() const {
    std::string out = file.empty() ? std::string("<input>") : file.str();
    if (line > 0) {
        out += ':';
        out += std::to_string(line);
        if (col > 0) {
            out += ':';
            out += std::to_string(col);
        }
    }
    return out;
}

std::string_view severity_name(Severity s) {
    switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
    }
    return "error";
}

std::string Diagnostic::format() const {
    std::string out = where.format();
    out += ": ";
    out += severity_name(severity);
    out += ": ";
    out += message;
    return out;
}

void Diagnostics::add(Diagnostic d) {
    if (d.severity == Severity::error) ++errors_;
    if (d.severity == Severity::warning) ++warnings_;
    if (items_.size() >= max_items) {
        ++dropped_;
        return;
    }
    items_.push_back(std::move(d));
}

void Diagnostics::error(Location where, std::string message) {
    add({Severity::error, std::move(where), std::move(message)});
}

void Diagnostics::warning(Location where, std::string message) {
    add({Severity::warning, std::move(where), std::move(message)});
}

void Diagnostics::note(Location where, std::string message) {
    add({Severity::note, std::move(where), std::move(message)});
}

void Diagnostics::merge(const Diagnostics& other) {
    for (const auto& d : other.items_) add(d);
    // Counts of what the other list had to drop still count as errors/warnings here.
    dropped_ += other.dropped_;
    size_t other_errors_kept = 0, other_warnings_kept = 0;
    for (const auto& d : other.items_) {
        if (d.severity == Severity::error) ++other_errors_kept;
        if (d.severity == Severity::warning) ++other_warnings_kept;
    }
    errors_ += other.errors_ - other_errors_kept;
    warnings_ += other.warnings_ - other_warnings_kept;
}

void Diagnostics::sort() {
    std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        if (a.where.file != b.where.file) return a.where.file < b.where.file;
        if (a.where.line != b.where.line) return a.where.line < b.where.line;
        return a.where.col < b.where.col;
    });
}

std::string Diagnostics::format() const {
    std::string out;
    for (const auto& d : items_) {
        out += d.format();
        out += '\n';
    }
    if (dropped_ > 0) {
        out += "hepd: note: ";
        out += std::to_string(dropped_);
        out += " more diagnostics not shown\n";
    }
    return out;
}

} // namespace hepd
