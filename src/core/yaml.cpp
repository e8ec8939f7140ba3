// SPDX-License-Identifier: GPL-2.0-or-later
// YAML reader: libyaml's event stream folded into hepd::yaml::Node trees.
//
// Goals, and how this file meets them:
//  1. Every node knows where it came from. libyaml marks are 0-based and count characters (not
//     bytes), with CR LF, CR and LF each ending a line; we add 1 to both. Reader errors (bad UTF-8,
//     control characters) only carry a byte offset, which position_at() turns into the same kind
//     of line and column.
//  2. Bounded work on hostile input. The size limit is checked before libyaml sees a byte. The tree
//     is built iteratively from events with an explicit stack of open collections, so nesting
//     costs no C++ recursion, and the depth limit is checked on each *_START event. libyaml 0.2.5
//     (Debian 12) does not recurse either and has no nesting limit of its own (that arrived after
//     0.2.5), but its scanner hands out events after at most ~1024 characters of look-ahead (the
//     simple-key limit), so 100k `[` are refused after the first 65.
//  3. No alias expansion. Aliases are refused: one error per file, at the first alias, with the
//     count of the others (an alias bomb of thousands of `*a` gives one line, not thousands);
//     anchors are accepted and ignored.
//  4. No leaks on any path: the parser and every event are owned by RAII wrappers.
//
// Encoding: hepd resources are UTF-8. A UTF-8 byte order mark is dropped here and libyaml is told
// the encoding, so UTF-16 and UTF-32 input is never decoded: a file that starts with their byte
// order mark, or with the NUL bytes of their encoding of ASCII text, gets one error that says so.
#include "hepd/yaml.hpp"

#include <yaml.h>

#include <cstdio>
#include <limits>
#include <unordered_map>
#include <utility>

namespace hepd::yaml {

const Node* Node::get(std::string_view key) const {
    if (kind != NodeKind::mapping) return nullptr;
    for (const auto& e : entries)
        if (e.key.kind == NodeKind::scalar && e.key.value == key) return &e.value;
    return nullptr;
}

namespace {

constexpr std::string_view yaml_tag_prefix = "tag:yaml.org,2002:";
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

uint32_t clamp32(size_t v) {
    return v > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                    : static_cast<uint32_t>(v);
}

// libyaml's 0-based mark -> 1-based line/col.
Location at(std::string_view file, const yaml_mark_t& m) {
    return Location{std::string(file), clamp32(m.line + 1), clamp32(m.column + 1)};
}

// Line and column (1-based, column in characters) of byte `offset` of `text`, counting line breaks
// the way libyaml does: LF, CR LF, lone CR, NEL (U+0085), LS (U+2028), PS (U+2029).
Location position_at(std::string_view file, std::string_view text, size_t offset) {
    size_t line = 1, col = 1;
    size_t i = 0;
    if (offset > text.size()) offset = text.size();
    while (i < offset) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++line, col = 1, ++i;
        } else if (c == '\r') {
            ++line, col = 1, ++i;
            if (i < offset && text[i] == '\n') ++i;
        } else if (c == 0xC2 && i + 1 < offset && static_cast<unsigned char>(text[i + 1]) == 0x85) {
            ++line, col = 1, i += 2;
        } else if (c == 0xE2 && i + 2 < offset && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
            ++line, col = 1, i += 3;
        } else {
            // One character: a lead byte and its continuation bytes.
            ++col, ++i;
            while (i < offset && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
        }
    }
    return Location{std::string(file), clamp32(line), clamp32(col)};
}

std::string hex_byte(int v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(v) & 0xFFu);
    return buf;
}

std::string code_point(int v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(v));
    return buf;
}

// "!!str" for the YAML core tags (as written), any other tag as libyaml resolved it.
std::string written_tag(const yaml_char_t* tag) {
    if (!tag) return {};
    std::string_view t(reinterpret_cast<const char*>(tag));
    if (t.substr(0, yaml_tag_prefix.size()) == yaml_tag_prefix)
        return "!!" + std::string(t.substr(yaml_tag_prefix.size()));
    return std::string(t);
}

std::string quote_for_message(std::string_view s) {
    constexpr size_t max = 60;
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < max; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (s.size() > max) out += "...";
    out += '\'';
    return out;
}

class ParserHandle {
public:
    ParserHandle() { ok_ = yaml_parser_initialize(&p_) != 0; }
    ~ParserHandle() {
        if (ok_) yaml_parser_delete(&p_);
    }
    ParserHandle(const ParserHandle&) = delete;
    ParserHandle& operator=(const ParserHandle&) = delete;
    bool ok() const { return ok_; }
    yaml_parser_t* get() { return &p_; }

private:
    yaml_parser_t p_{};
    bool ok_ = false;
};

class EventHandle {
public:
    EventHandle() = default;
    ~EventHandle() { reset(); }
    EventHandle(const EventHandle&) = delete;
    EventHandle& operator=(const EventHandle&) = delete;
    // Pulls the next event; false on a parse error (nothing to delete then).
    bool next(yaml_parser_t* p) {
        reset();
        if (!yaml_parser_parse(p, &e_)) return false;
        live_ = true;
        return true;
    }
    const yaml_event_t& operator*() const { return e_; }
    const yaml_event_t* operator->() const { return &e_; }

private:
    void reset() {
        if (live_) yaml_event_delete(&e_);
        live_ = false;
    }
    yaml_event_t e_{};
    bool live_ = false;
};

// The text a scalar or null key is compared by: `~`, `null` and an empty key are all the null key.
std::string_view key_text(const Node& n) {
    return n.kind == NodeKind::null ? std::string_view("\0null", 5) : std::string_view(n.value);
}

bool comparable_key(const Node& n) { return n.kind == NodeKind::scalar || n.kind == NodeKind::null; }

// An open mapping or sequence. Children are moved in when they complete, so no pointer into a
// growing vector is ever held.
struct Frame {
    Node node;
    // A mapping's key goes into a new last entry at once; that entry then awaits its value.
    bool awaiting_value = false;
    // Scalar and null keys of the entries so far -> index of their first entry, for duplicate
    // detection in a large mapping; a small one (nearly every mapping) is searched linearly.
    std::unordered_map<std::string, size_t> index;
    size_t indexed = 0;  // entries already in `index`

    static constexpr size_t linear_limit = 16;

    // The first entry whose key is `k`, or nullptr.
    const MapEntry* find_key(std::string_view k) {
        const auto& entries = node.entries;
        if (entries.size() <= linear_limit) {
            for (const auto& e : entries)
                if (comparable_key(e.key) && key_text(e.key) == k) return &e;
            return nullptr;
        }
        for (; indexed < entries.size(); ++indexed)
            if (comparable_key(entries[indexed].key)) index.emplace(key_text(entries[indexed].key), indexed);
        auto it = index.find(std::string(k));
        return it == index.end() ? nullptr : &entries[it->second];
    }
};

class Builder {
public:
    Builder(std::string_view text, std::string_view file, Diagnostics& diags, const Limits& limits,
            const std::function<void(Document&&)>& each)
        : text_(text), file_(file), diags_(diags), limits_(limits), each_(each) {}

    void run();

private:
    bool on_event(const yaml_event_t& ev);  // false: stop (an error was reported)
    bool count_node(const yaml_mark_t& m);
    bool open(NodeKind kind, const yaml_event_t& ev, const yaml_char_t* tag);
    void attach(Node node);
    void report_parser_error(yaml_parser_t* p);
    void report_aliases();
    bool wide_encoding();

    std::string_view text_;  // the whole input, BOM included (for reader error positions)
    std::string_view file_;
    Diagnostics& diags_;
    const Limits& limits_;
    const std::function<void(Document&&)>& each_;
    size_t bom_ = 0;

    Document doc_;
    bool in_doc_ = false;
    std::vector<Frame> stack_;
    size_t nodes_ = 0;
    size_t aliases_ = 0;        // alias events seen
    Location first_alias_;      // where the first one is
    std::string first_alias_name_;
};

// UTF-16 and UTF-32, by their byte order marks or by the NUL bytes that ASCII text has in them.
// libyaml would decode them; hepd reads UTF-8 only, and says so once instead of reporting the
// first NUL byte as an invalid character.
bool Builder::wide_encoding() {
    auto b = [&](size_t i) { return i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0x100u; };
    const char* name = nullptr;
    if (b(0) == 0xFF && b(1) == 0xFE && b(2) == 0 && b(3) == 0) name = "UTF-32 (little-endian)";
    else if (b(0) == 0 && b(1) == 0 && b(2) == 0xFE && b(3) == 0xFF) name = "UTF-32 (big-endian)";
    else if (b(0) == 0xFF && b(1) == 0xFE) name = "UTF-16 (little-endian)";
    else if (b(0) == 0xFE && b(1) == 0xFF) name = "UTF-16 (big-endian)";
    else if (text_.size() >= 4 && b(0) != 0 && b(1) == 0 && b(2) != 0 && b(3) == 0) name = "UTF-16 (little-endian)";
    else if (text_.size() >= 4 && b(0) == 0 && b(1) != 0 && b(2) == 0 && b(3) != 0) name = "UTF-16 (big-endian)";
    if (!name) return false;
    diags_.error(Location{std::string(file_), 1, 1},
                 std::string("the file is encoded in ") + name +
                     "; hepd reads UTF-8 only (convert it, e.g. iconv -f " + std::string(name, 6) +
                     " -t UTF-8)");
    return true;
}

void Builder::report_aliases() {
    if (aliases_ == 0) return;
    std::string msg = "YAML aliases are not supported (*" + first_alias_name_ +
                      "): hepd does not expand them; write the value out";
    if (aliases_ > 1) msg += " (" + std::to_string(aliases_ - 1) + " more aliases in this file)";
    diags_.error(first_alias_, msg);
}

void Builder::run() {
    if (text_.size() > limits_.max_bytes) {
        diags_.error(Location{std::string(file_), 0, 0},
                     "input is " + std::to_string(text_.size()) + " bytes, more than the limit of " +
                         std::to_string(limits_.max_bytes) + " bytes");
        return;
    }
    if (wide_encoding()) return;
    std::string_view body = text_;
    if (body.substr(0, utf8_bom.size()) == utf8_bom) {
        bom_ = utf8_bom.size();
        body.remove_prefix(bom_);
    }

    ParserHandle parser;
    if (!parser.ok()) {
        diags_.error(Location{std::string(file_), 0, 0}, "out of memory starting the YAML parser");
        return;
    }
    yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(body.data()),
                                 body.size());
    yaml_parser_set_encoding(parser.get(), YAML_UTF8_ENCODING);

    EventHandle ev;
    for (;;) {
        if (!ev.next(parser.get())) {
            report_parser_error(parser.get());
            break;
        }
        if (ev->type == YAML_STREAM_END_EVENT) break;
        if (!on_event(*ev)) break;
    }
    report_aliases();
}

void Builder::report_parser_error(yaml_parser_t* p) {
    std::string msg = p->problem ? p->problem : "unknown YAML error";
    switch (p->error) {
    case YAML_READER_ERROR: {
        if (p->problem_value >= 0) {
            std::string_view prob(msg);
            if (prob.find("octet") != std::string_view::npos)
                msg += " (byte " + hex_byte(p->problem_value) + ")";
            else
                msg += " (" + code_point(p->problem_value) + ")";
        }
        diags_.error(position_at(file_, text_, p->problem_offset + bom_), "invalid input: " + msg);
        return;
    }
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR: {
        if (p->context) {
            Location c = at(file_, p->context_mark);
            msg += " (";
            msg += p->context;
            msg += " at line " + std::to_string(c.line) + ", column " + std::to_string(c.col) + ")";
        }
        diags_.error(at(file_, p->problem_mark), msg);
        return;
    }
    case YAML_MEMORY_ERROR:
        diags_.error(Location{std::string(file_), 0, 0}, "out of memory while parsing YAML");
        return;
    default:
        diags_.error(Location{std::string(file_), 0, 0}, "YAML error: " + msg);
        return;
    }
}

bool Builder::count_node(const yaml_mark_t& m) {
    if (++nodes_ > limits_.max_nodes) {
        diags_.error(at(file_, m), "more than " + std::to_string(limits_.max_nodes) +
                                       " YAML nodes; the input is too large");
        return false;
    }
    return true;
}

bool Builder::open(NodeKind kind, const yaml_event_t& ev, const yaml_char_t* tag) {
    if (stack_.size() >= limits_.max_depth) {
        diags_.error(at(file_, ev.start_mark), "YAML nesting is deeper than " +
                                                   std::to_string(limits_.max_depth) + " levels");
        return false;
    }
    if (!count_node(ev.start_mark)) return false;
    Frame f;
    f.node.kind = kind;
    f.node.tag = written_tag(tag);
    f.node.line = clamp32(ev.start_mark.line + 1);
    f.node.col = clamp32(ev.start_mark.column + 1);
    stack_.push_back(std::move(f));
    return true;
}

void Builder::attach(Node node) {
    if (stack_.empty()) {
        doc_.root = std::move(node);
        return;
    }
    Frame& top = stack_.back();
    if (top.node.kind == NodeKind::sequence) {
        top.node.items.push_back(std::move(node));
        return;
    }
    if (!top.awaiting_value) {
        if (comparable_key(node)) {
            if (const MapEntry* dup = top.find_key(key_text(node))) {
                const Node& first = dup->key;
                diags_.error(Location{std::string(file_), node.line, node.col},
                             "duplicate key " + quote_for_message(node.value) +
                                 " in mapping (first at line " + std::to_string(first.line) +
                                 ", column " + std::to_string(first.col) + ")");
            }
        }
        top.node.entries.emplace_back().key = std::move(node);
        top.awaiting_value = true;
        return;
    }
    top.node.entries.back().value = std::move(node);
    top.awaiting_value = false;
}

bool Builder::on_event(const yaml_event_t& ev) {
    switch (ev.type) {
    case YAML_STREAM_START_EVENT:
    case YAML_NO_EVENT:
        return true;
    case YAML_DOCUMENT_START_EVENT:
        doc_ = Document{};
        doc_.line = clamp32(ev.start_mark.line + 1);
        in_doc_ = true;
        stack_.clear();
        return true;
    case YAML_DOCUMENT_END_EVENT:
        if (in_doc_) each_(std::move(doc_));
        doc_ = Document{};
        in_doc_ = false;
        return true;
    case YAML_ALIAS_EVENT: {
        if (aliases_++ == 0) {
            first_alias_ = at(file_, ev.start_mark);
            const auto* a = ev.data.alias.anchor;
            first_alias_name_ = quote_for_message(a ? reinterpret_cast<const char*>(a) : "");
            first_alias_name_ = first_alias_name_.substr(1, first_alias_name_.size() - 2);
        }
        if (!count_node(ev.start_mark)) return false;
        Node n;  // a null placeholder keeps the tree's shape
        n.line = clamp32(ev.start_mark.line + 1);
        n.col = clamp32(ev.start_mark.column + 1);
        attach(std::move(n));
        return true;
    }
    case YAML_SCALAR_EVENT: {
        const auto& s = ev.data.scalar;
        if (s.length > limits_.max_scalar) {
            diags_.error(at(file_, ev.start_mark),
                         "scalar of " + std::to_string(s.length) + " bytes, more than the limit of " +
                             std::to_string(limits_.max_scalar) + " bytes");
            return false;
        }
        if (!count_node(ev.start_mark)) return false;
        Node n;
        n.kind = NodeKind::scalar;
        switch (s.style) {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: n.style = ScalarStyle::single_quoted; break;
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n.style = ScalarStyle::double_quoted; break;
        case YAML_LITERAL_SCALAR_STYLE: n.style = ScalarStyle::literal; break;
        case YAML_FOLDED_SCALAR_STYLE: n.style = ScalarStyle::folded; break;
        default: n.style = ScalarStyle::plain; break;
        }
        n.value.assign(reinterpret_cast<const char*>(s.value), s.length);
        n.tag = written_tag(s.tag);
        n.line = clamp32(ev.start_mark.line + 1);
        n.col = clamp32(ev.start_mark.column + 1);
        if (n.tag == "!!null") {
            n.kind = NodeKind::null;
        } else if (n.tag.empty() && n.style == ScalarStyle::plain && n.value.size() <= 4 &&
                   (n.value.empty() || n.value == "~" || n.value == "null" || n.value == "Null" ||
                    n.value == "NULL")) {
            n.kind = NodeKind::null;
        }
        attach(std::move(n));
        return true;
    }
    case YAML_SEQUENCE_START_EVENT:
        return open(NodeKind::sequence, ev, ev.data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return open(NodeKind::mapping, ev, ev.data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        if (stack_.empty()) return true;  // cannot happen with libyaml; be defensive
        Node done = std::move(stack_.back().node);
        stack_.pop_back();
        attach(std::move(done));
        return true;
    }
    default:
        return true;
    }
}

}  // namespace

std::vector<Document> parse_yaml(std::string_view text, std::string_view file, Diagnostics& diags,
                                 const Limits& limits) {
    std::vector<Document> docs;
    parse_yaml_each(text, file, diags, limits, [&](Document&& d) { docs.push_back(std::move(d)); });
    return docs;
}

void parse_yaml_each(std::string_view text, std::string_view file, Diagnostics& diags, const Limits& limits,
                     const std::function<void(Document&&)>& each) {
    Builder b(text, file, diags, limits, each);
    b.run();
}

}  // namespace hepd::yaml
