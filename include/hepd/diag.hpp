// SPDX-License-Identifier: GPL-2.0-or-later
// Diagnostics: errors in user input (config files, resources, selectors, control requests).
//
// Every parser collects all of its problems into a Diagnostics value instead of stopping at the
// first one; the caller applies nothing when has_errors() is true. The printed form is the one
// compilers use, so editors and `grep` understand it:
//
//     resources.d/10-web.yaml:14:7: error: unknown field 'prots' in rule
//
// A line or column of 0 means "unknown" and is left out of the printed form.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hepd {

// The name of a file, shared by every copy: every resource and rule of the model keeps the Location
// it came from, and thousands of them name the same few files (W3: 4,600 locations, 11 files).
// Compares, orders and converts like the std::string it holds.
class FileName {
public:
    FileName() = default;
    FileName(std::string name);  // NOLINT: implicit, as Location{path, line, col} always was
    FileName(const char* name) : FileName(std::string(name)) {}  // NOLINT

    const std::string& str() const;
    operator const std::string&() const { return str(); }  // NOLINT
    bool empty() const { return str().empty(); }

    friend bool operator==(const FileName& a, const FileName& b) { return a.text_ == b.text_ || a.str() == b.str(); }
    friend auto operator<=>(const FileName& a, const FileName& b) { return a.str() <=> b.str(); }

private:
    std::shared_ptr<const std::string> text_;  // null for the empty name
};

// Where something came from: a file and a 1-based line and column (0 = unknown).
struct Location {
    FileName file;
    uint32_t line = 0;
    uint32_t col = 0;

    // "file:line:col", "file:line" or "file"; used by diagnostics and by `hepd status` provenance.
    std::string format() const;
    bool operator==(const Location&) const = default;
};

enum class Severity : uint8_t { error, warning, note };

struct Diagnostic {
    Severity severity = Severity::error;
    Location where;
    std::string message;

    // "FILE:LINE:COL: error: MESSAGE" (no trailing newline).
    std::string format() const;
    bool operator==(const Diagnostic&) const = default;
};

std::string_view severity_name(Severity s);

// An ordered list of diagnostics. Capped at max_items so that a pathological input (a million bad
// lines) cannot make the report itself unbounded; the cap is reported as a final note.
class Diagnostics {
public:
    static constexpr size_t max_items = 1000;

    void error(Location where, std::string message);
    void warning(Location where, std::string message);
    void note(Location where, std::string message);
    void add(Diagnostic d);
    void merge(const Diagnostics& other);

    bool has_errors() const { return errors_ > 0; }
    size_t error_count() const { return errors_; }
    size_t warning_count() const { return warnings_; }
    bool empty() const { return items_.empty(); }
    const std::vector<Diagnostic>& items() const { return items_; }

    // Stable sort by file, then line, then column, so that output does not depend on the order in
    // which checks ran.
    void sort();

    // Every diagnostic on its own line, each ending in '\n'.
    std::string format() const;

private:
    std::vector<Diagnostic> items_;
    size_t errors_ = 0;
    size_t warnings_ = 0;
    size_t dropped_ = 0;
};

} // namespace hepd
