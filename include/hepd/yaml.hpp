// SPDX-License-Identifier: GPL-2.0-or-later
// YAML reader: libyaml events -> a small tree with positions, nothing more.
//
// It knows nothing about Calico: it returns documents made of mappings, sequences and scalars,
// each with its 1-based line and column, so that the resource loader can point at the offending
// line. What it refuses, with an error at file:line:col:
//   - syntax errors and invalid UTF-8 (libyaml's message, with its position);
//   - aliases (`*name`): resources never need them and they are the alias-bomb vector;
//   - duplicate scalar keys in one mapping (at the second key; `a`, `'a'` and `"a"` are the same
//     key, and so are all null keys; collection keys are not compared); both entries stay;
//   - input beyond the limits below (size, nesting depth, node count, scalar length).
// Scalars are not interpreted (no int/bool resolution): the loader decides what a field needs,
// using `style` to tell `80` from `"80"`.
//
// Positions: lines and columns start at 1; columns count characters (UTF-8 sequences), not bytes;
// LF, CR LF and a lone CR each end a line (as in libyaml). Input is UTF-8: a UTF-8 byte order
// mark is skipped, anything else that is not UTF-8 (UTF-16 included) is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/diag.hpp"

namespace hepd::yaml {

enum class NodeKind : uint8_t { null, scalar, mapping, sequence };
enum class ScalarStyle : uint8_t { plain, single_quoted, double_quoted, literal, folded };

struct MapEntry;

struct Node {
    NodeKind kind = NodeKind::null;
    ScalarStyle style = ScalarStyle::plain;  // scalars only
    std::string value;                       // scalar text after YAML unquoting/unescaping; for
                                             // a null node the text as written ("~", "", ...)
    std::string tag;                         // explicit tag as written ("!!str"), else empty;
                                             // %TAG handles appear expanded
    uint32_t line = 0;                       // 1-based position of the node's first character
    uint32_t col = 0;
    std::vector<Node> items;                 // sequence items, in order
    std::vector<MapEntry> entries;           // mapping entries, in document order

    bool is_scalar() const { return kind == NodeKind::scalar; }
    bool is_mapping() const { return kind == NodeKind::mapping; }
    bool is_sequence() const { return kind == NodeKind::sequence; }
    // A null node: an empty value, or a plain `null`, `Null`, `NULL` or `~` (YAML 1.1/1.2 core),
    // or a node tagged `!!null`. (A refused alias also leaves a null node in its place.)
    bool is_null() const { return kind == NodeKind::null; }
    // First mapping entry whose key is the scalar `key`, or nullptr (also for non-mappings).
    const Node* get(std::string_view key) const;
};

struct MapEntry {
    Node key;
    Node value;
};

struct Document {
    Node root;          // kind null for an empty document
    uint32_t line = 0;  // where the document starts (its `---`, or its first node)
};

struct Limits {
    size_t max_bytes = 1 << 20;      // whole input
    size_t max_depth = 64;           // nesting of mappings/sequences (the 65th level is refused)
    size_t max_nodes = 200000;       // all nodes of all documents (keys and collections count)
    size_t max_scalar = 64 * 1024;   // bytes in one scalar, after unescaping
};

// Parses every document of `text`. `file` names the input in diagnostics. On a syntax error the
// documents completed before it are returned and one error is added; other errors (aliases,
// duplicate keys) are reported and parsing continues. A limit that is hit stops the parse like a
// syntax error (input over max_bytes is refused before parsing). Byte-level errors (invalid
// UTF-8, control characters) are found while libyaml decodes ahead, usually before any document
// is complete. Never throws, never aborts. Tree depth is at most max_depth, which also bounds
// the recursion of Node's destructor and copies.
std::vector<Document> parse_yaml(std::string_view text, std::string_view file, Diagnostics& diags,
                                 const Limits& limits = {});

// The same, handing each document to `each` as soon as it is complete instead of keeping them
// all, so that one document's tree is in memory at a time. The diagnostics are the same; a
// document's own are reported before `each` sees it.
void parse_yaml_each(std::string_view text, std::string_view file, Diagnostics& diags, const Limits& limits,
                     const std::function<void(Document&&)>& each);

}  // namespace hepd::yaml
