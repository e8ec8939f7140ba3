// SPDX-License-Identifier: GPL-2.0-or-later
// The selector language: lexer, recursive-descent parser, canonical printer and compiler.
//
// Pipeline (all at parse time; evaluation touches only the result of the last step):
//
//     text --lex/parse--> Node tree (temporary) --print--> canonical_ (hash() on demand)
//                                              \--compile--> tests_ (jump program) + pool_
//
// Lexing. Calico tokenizes the whole input first and parses afterwards; the only context it uses
// is "the previous token was a label", in which case words are operators (`in`, `contains`,
// `starts with`, ...) instead of labels. Here the parser pulls tokens on demand and asks for an
// operator exactly where the previous token was a label. On every input Calico accepts, the two
// produce the same tokens, so the accepted language is the same; on a rejected input hepd reports
// the leftmost problem, where Calico reports any tokenizer problem before any parser problem.
//
// Operator words after a label need a word boundary (a character that cannot continue a label, or
// the end) after the last word. Calico checks the boundary after skipping blanks that follow a
// multi-word operator (`not in`, `starts with`); checking it straight after the word, as here,
// accepts and rejects the same selectors, because an operator followed by a label is invalid
// either way.
//
// Compiling. Each label test becomes one Test with a target for "true" and one for "false":
// `!x` swaps the targets of x, `a && b` sends a's true edge to b and its false edge to the group's
// false target, `a || b` the other way round, all() and global() are just their true target. The
// program is emitted back to front, so every jump goes forward and evaluation needs neither a
// stack nor recursion.
#include "hepd/selector.hpp"

#include <algorithm>
#include <cstdio>

#include "hepd/hash.hpp"

namespace hepd {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool is_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '/' || c == '-';
}

enum class Tok : uint8_t {
    end,
    error,  // the lexer has reported a problem
    label,
    string,
    lparen,
    rparen,
    lbrace,
    rbrace,
    comma,
    eq,
    ne,
    not_,
    and_,
    or_,
    has,
    all,
    global,
};

struct Token {
    Tok kind = Tok::end;
    uint32_t pos = 0;        // offset of the first byte
    std::string_view text;   // label name (label, has) or string contents (string)
};

// The nodes of the temporary tree: constants, label tests (key, value or set), and the three
// boolean operators (operands through first/count).
enum class NodeKind : uint8_t {
    all,
    global,
    has,
    eq,
    ne,
    contains,
    starts_with,
    ends_with,
    in,
    not_in,
    not_,
    and_,
    or_,
};

constexpr uint32_t no_node = 0xffffffff;

std::string quote_for_message(std::string_view s) {
    constexpr size_t max = 40;
    std::string out = "'";
    out.append(s.substr(0, max));
    if (s.size() > max) out += "...";
    out += '\'';
    return out;
}

// "character '%'", "newline", "byte 0xc3": how a single unexpected byte is named in a message.
std::string describe_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') return "newline";
    if (c == '\r') return "carriage return";
    if (u > 0x20 && u < 0x7f) return std::string("character '") + c + '\'';
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
    return buf;
}

std::string op_spelling(NodeKind k) {
    switch (k) {
    case NodeKind::eq: return "==";
    case NodeKind::ne: return "!=";
    case NodeKind::contains: return "contains";
    case NodeKind::starts_with: return "starts with";
    case NodeKind::ends_with: return "ends with";
    case NodeKind::in: return "in";
    case NodeKind::not_in: return "not in";
    default: return "?";
    }
}

}  // namespace

// Parser state for one Selector::parse call. It is a friend of Selector so that it can fill the
// compiled form in place.
class SelectorParser {
public:
    SelectorParser(std::string_view text, Diagnostics& diags, const Location& where)
        : in_(text), diags_(diags), where_(where) {}

    std::optional<Selector> run();

    // Parses and prints with every label key prefixed and all() as has(all_key), for Calico's
    // namespaceSelector rewrite (SEMANTICS 1.3). Returns nullopt when the text does not parse.
    std::optional<std::string> rewrite(std::string_view prefix, std::string_view all_key);

private:
    struct Node {
        NodeKind kind;
        Selector::Span key;    // label (has and tests), in out_.pool_
        Selector::Span value;  // value (eq .. ends_with), in out_.pool_
        uint32_t first = 0;    // in/not_in: first member in out_.set_items_; and/or: in kids_;
                               // not: the operand
        uint32_t count = 0;
    };

    // Lexing.
    void error_at(size_t pos, std::string message);
    void lex();
    NodeKind lex_operator(std::string_view label);
    bool lex_call(size_t start, std::string_view name, Tok kind);
    bool at_word(size_t pos, std::string_view word) const;
    size_t skip_blanks(size_t pos) const;
    std::string describe(const Token& t) const;

    // Parsing; each returns a node index or no_node after an error.
    uint32_t parse_or();
    uint32_t parse_op();
    uint32_t parse_label_test();
    uint32_t add(Node n);
    Selector::Span intern(std::string_view s);

    // Output.
    void print(uint32_t n, std::string& out) const;
    uint32_t compile(uint32_t n, uint32_t on_true, uint32_t on_false);
    uint32_t emit(Selector::TestOp op, const Node& n, Selector::Span arg, uint32_t on_true,
                  uint32_t on_false);

    std::string_view in_;
    Diagnostics& diags_;
    const Location& where_;
    bool failed_ = false;
    size_t pos_ = 0;  // first byte after tok_
    Token tok_;
    size_t depth_ = 0;

    std::vector<Node> nodes_;
    std::vector<uint32_t> kids_;
    Selector out_;
    std::string_view key_prefix_;  // rewrite(): put before every label key
    std::string_view all_key_;     // rewrite(): all() prints as has(all_key_)
};

void SelectorParser::error_at(size_t pos, std::string message) {
    if (failed_) return;  // one error per parse: the first one is the useful one
    failed_ = true;
    Location at = where_;
    if (at.col > 0) at.col += static_cast<uint32_t>(pos);
    diags_.error(std::move(at), std::move(message));
}

size_t SelectorParser::skip_blanks(size_t pos) const {
    while (pos < in_.size() && is_blank(in_[pos])) ++pos;
    return pos;
}

// The word at pos, not followed by a label character.
bool SelectorParser::at_word(size_t pos, std::string_view word) const {
    if (in_.substr(pos, word.size()) != word) return false;
    const size_t after = pos + word.size();
    return after == in_.size() || !is_label_char(in_[after]);
}

std::string SelectorParser::describe(const Token& t) const {
    switch (t.kind) {
    case Tok::end: return "the end of the selector";
    case Tok::error: return "an error";
    case Tok::label: return "label " + quote_for_message(t.text);
    case Tok::string: return "a quoted string";
    case Tok::lparen: return "'('";
    case Tok::rparen: return "')'";
    case Tok::lbrace: return "'{'";
    case Tok::rbrace: return "'}'";
    case Tok::comma: return "','";
    case Tok::eq: return "'=='";
    case Tok::ne: return "'!='";
    case Tok::not_: return "'!'";
    case Tok::and_: return "'&&'";
    case Tok::or_: return "'||'";
    case Tok::has: return "has()";
    case Tok::all: return "all()";
    case Tok::global: return "global()";
    }
    return "?";
}

// `has(`, `all(` and `global(`: the name and '(' with nothing between; blanks are allowed inside.
bool SelectorParser::lex_call(size_t start, std::string_view name, Tok kind) {
    size_t p = skip_blanks(start + name.size() + 1);
    if (kind == Tok::has) {
        size_t end = p;
        while (end < in_.size() && is_label_char(in_[end])) ++end;
        if (end == p) {
            error_at(p, "expected a label name inside has()");
            return false;
        }
        if (end - p > Selector::max_label_length) {
            error_at(p, "label is longer than 512 characters");
            return false;
        }
        tok_.text = in_.substr(p, end - p);
        p = skip_blanks(end);
        if (p >= in_.size() || in_[p] != ')') {
            std::string shown(tok_.text.substr(0, 40));
            if (tok_.text.size() > 40) shown += "...";
            error_at(p, "expected ')' to close has(" + shown);
            return false;
        }
    } else if (p >= in_.size() || in_[p] != ')') {
        error_at(p, std::string(name) + "() takes no arguments; expected ')'");
        return false;
    }
    tok_.kind = kind;
    pos_ = p + 1;
    return true;
}

void SelectorParser::lex() {
    const size_t p = skip_blanks(pos_);
    tok_ = Token{Tok::end, static_cast<uint32_t>(p), {}};
    pos_ = p;
    if (failed_) {
        tok_.kind = Tok::error;
        return;
    }
    if (p >= in_.size()) return;
    const char c = in_[p];
    const char next = p + 1 < in_.size() ? in_[p + 1] : '\0';
    auto single = [&](Tok k) {
        tok_.kind = k;
        pos_ = p + 1;
    };
    auto pair = [&](Tok k, char second, const char* bad) {
        if (next == second) {
            tok_.kind = k;
            pos_ = p + 2;
        } else {
            error_at(p, bad);
            tok_.kind = Tok::error;
        }
    };
    switch (c) {
    case '(': single(Tok::lparen); return;
    case ')': single(Tok::rparen); return;
    case '{': single(Tok::lbrace); return;
    case '}': single(Tok::rbrace); return;
    case ',': single(Tok::comma); return;
    case '=': pair(Tok::eq, '=', "'=' is not an operator; did you mean '=='?"); return;
    case '&': pair(Tok::and_, '&', "'&' is not an operator; did you mean '&&'?"); return;
    case '|': pair(Tok::or_, '|', "'|' is not an operator; did you mean '||'?"); return;
    case '!':
        if (next == '=') {
            tok_.kind = Tok::ne;
            pos_ = p + 2;
        } else {
            single(Tok::not_);
        }
        return;
    case '"':
    case '\'': {
        // No escapes: the string ends at the next quote of the same kind.
        const size_t close = in_.find(c, p + 1);
        if (close == std::string_view::npos) {
            error_at(p, c == '"' ? "unterminated string: no closing '\"'"
                                 : "unterminated string: no closing \"'\"");
            tok_.kind = Tok::error;
            return;
        }
        tok_.kind = Tok::string;
        tok_.text = in_.substr(p + 1, close - p - 1);
        pos_ = close + 1;
        return;
    }
    default: break;
    }
    const std::string_view rest = in_.substr(p);
    if (rest.starts_with("has(")) {
        if (!lex_call(p, "has", Tok::has)) tok_.kind = Tok::error;
        return;
    }
    if (rest.starts_with("all(")) {
        if (!lex_call(p, "all", Tok::all)) tok_.kind = Tok::error;
        return;
    }
    if (rest.starts_with("global(")) {
        if (!lex_call(p, "global", Tok::global)) tok_.kind = Tok::error;
        return;
    }
    size_t end = p;
    while (end < in_.size() && is_label_char(in_[end])) ++end;
    if (end == p) {
        std::string msg = "unexpected " + describe_byte(c);
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) msg += "; only spaces and tabs may separate tokens";
        error_at(p, std::move(msg));
        tok_.kind = Tok::error;
        return;
    }
    if (end - p > Selector::max_label_length) {
        error_at(p, "label is longer than 512 characters");
        tok_.kind = Tok::error;
        return;
    }
    tok_.kind = Tok::label;
    tok_.text = in_.substr(p, end - p);
    pos_ = end;
}

// After a label: one of ==, !=, contains, starts with, ends with, in, not in. Returns the op (eq
// .. not_in) with pos_ after it, or NodeKind::all after reporting an error.
NodeKind SelectorParser::lex_operator(std::string_view label) {
    const size_t p = skip_blanks(pos_);
    auto found = [&](NodeKind k, size_t end) {
        pos_ = end;
        return k;
    };
    if (in_.substr(p, 2) == "==") return found(NodeKind::eq, p + 2);
    if (in_.substr(p, 2) == "!=") return found(NodeKind::ne, p + 2);
    if (at_word(p, "contains")) return found(NodeKind::contains, p + 8);
    if (at_word(p, "in")) return found(NodeKind::in, p + 2);
    // Two-word operators; the blanks between the words are optional (`startswith`, `notin`).
    struct TwoWords {
        std::string_view first, second;
        NodeKind kind;
    };
    static constexpr TwoWords two[] = {
        {"starts", "with", NodeKind::starts_with},
        {"ends", "with", NodeKind::ends_with},
        {"not", "in", NodeKind::not_in},
    };
    for (const auto& w : two) {
        if (in_.substr(p, w.first.size()) != w.first) continue;
        const size_t q = skip_blanks(p + w.first.size());
        if (at_word(q, w.second)) return found(w.kind, q + w.second.size());
    }

    if (p < in_.size() && in_[p] == '(' && (label == "has" || label == "all" || label == "global")) {
        error_at(p, "no space is allowed between '" + std::string(label) + "' and '('");
        return NodeKind::all;
    }
    std::string what;
    if (p >= in_.size()) {
        what = "the end of the selector";
    } else if (in_[p] == '=') {
        error_at(p, "'=' is not an operator; did you mean '=='?");
        return NodeKind::all;
    } else if (is_label_char(in_[p])) {
        size_t end = p;
        while (end < in_.size() && is_label_char(in_[end])) ++end;
        what = quote_for_message(in_.substr(p, end - p));
    } else if (in_[p] == '"' || in_[p] == '\'') {
        what = "a quoted string";
    } else {
        what = describe_byte(in_[p]);
    }
    error_at(p, "expected an operator (==, !=, in, not in, contains, starts with, ends with) after "
                "label " + quote_for_message(label) + ", found " + what);
    return NodeKind::all;
}

uint32_t SelectorParser::add(Node n) {
    nodes_.push_back(n);
    return static_cast<uint32_t>(nodes_.size() - 1);
}

Selector::Span SelectorParser::intern(std::string_view s) {
    Selector::Span span{static_cast<uint32_t>(out_.pool_.size()), static_cast<uint32_t>(s.size())};
    out_.pool_.append(s);
    return span;
}

// or := and ("||" and)* ; and := op ("&&" op)*. A group of one is just its member, so `(a)` and
// `a` are the same node, as in Calico.
uint32_t SelectorParser::parse_or() {
    std::vector<uint32_t> ors;
    std::vector<uint32_t> ands;
    while (true) {
        ands.clear();
        while (true) {
            const uint32_t op = parse_op();
            if (op == no_node) return no_node;
            ands.push_back(op);
            if (tok_.kind != Tok::and_) break;
            const uint32_t and_pos = tok_.pos;
            lex();
            if (tok_.kind == Tok::end) {
                error_at(and_pos, "trailing '&&': expected an expression after it");
                return no_node;
            }
        }
        uint32_t group = ands.front();
        if (ands.size() > 1) {
            group = add({NodeKind::and_, {}, {}, static_cast<uint32_t>(kids_.size()),
                         static_cast<uint32_t>(ands.size())});
            kids_.insert(kids_.end(), ands.begin(), ands.end());
        }
        ors.push_back(group);
        if (tok_.kind != Tok::or_) break;
        const uint32_t or_pos = tok_.pos;
        lex();
        if (tok_.kind == Tok::end) {
            error_at(or_pos, "trailing '||': expected an expression after it");
            return no_node;
        }
    }
    if (ors.size() == 1) return ors.front();
    const uint32_t n = add({NodeKind::or_, {}, {}, static_cast<uint32_t>(kids_.size()),
                            static_cast<uint32_t>(ors.size())});
    kids_.insert(kids_.end(), ors.begin(), ors.end());
    return n;
}

// op := "!"* ( has(LABEL) | all() | global() | "(" or ")" | LABEL OP value )
uint32_t SelectorParser::parse_op() {
    bool negated = false;
    while (tok_.kind == Tok::not_) {
        negated = !negated;
        const uint32_t not_pos = tok_.pos;
        lex();
        if (tok_.kind == Tok::end) {
            error_at(not_pos, "expected an expression after '!'");
            return no_node;
        }
    }
    uint32_t n = no_node;
    switch (tok_.kind) {
    case Tok::has:
        n = add({NodeKind::has, intern(tok_.text), {}, 0, 0});
        lex();
        break;
    case Tok::all:
        n = add({NodeKind::all, {}, {}, 0, 0});
        lex();
        break;
    case Tok::global:
        n = add({NodeKind::global, {}, {}, 0, 0});
        out_.uses_global_ = true;
        lex();
        break;
    case Tok::label: n = parse_label_test(); break;
    case Tok::lparen: {
        const uint32_t open = tok_.pos;
        if (depth_ >= Selector::max_nesting) {
            error_at(open, "parentheses nested more than 512 deep");
            return no_node;
        }
        ++depth_;
        lex();
        if (tok_.kind == Tok::rparen) {
            error_at(tok_.pos, "empty parentheses: expected an expression inside '()'");
            return no_node;
        }
        n = parse_or();
        --depth_;
        if (n == no_node) return no_node;
        if (tok_.kind != Tok::rparen) {
            if (tok_.kind == Tok::end) {
                error_at(tok_.pos, "missing ')' for the '(' at column " +
                                       std::to_string(where_.col + open));
            } else {
                error_at(tok_.pos, "expected ')', '&&' or '||', found " + describe(tok_));
            }
            return no_node;
        }
        lex();
        break;
    }
    case Tok::error: return no_node;
    case Tok::end:
        error_at(tok_.pos, "expected a label test, has(), all(), global(), '!' or '(', found "
                           "the end of the selector");
        return no_node;
    case Tok::rparen:
        error_at(tok_.pos, "unbalanced ')': no matching '(' before it");
        return no_node;
    case Tok::string:
        error_at(tok_.pos, "a selector term starts with a label, not a quoted string (write "
                           "label == 'value')");
        return no_node;
    default:
        error_at(tok_.pos, "expected a label test, has(), all(), global(), '!' or '(', found " +
                               describe(tok_));
        return no_node;
    }
    if (n == no_node) return no_node;
    if (negated) {
        // !!x is x: the run of '!' above toggles, and a negated parenthesised negation unwraps.
        if (nodes_[n].kind == NodeKind::not_) return nodes_[n].first;
        n = add({NodeKind::not_, {}, {}, n, 1});
    }
    return n;
}

// LABEL ( ==|!=|contains|starts with|ends with ) STRING  |  LABEL ( in|not in ) SET
uint32_t SelectorParser::parse_label_test() {
    const std::string_view label = tok_.text;
    const NodeKind op = lex_operator(label);
    if (failed_) return no_node;
    lex();
    if (op != NodeKind::in && op != NodeKind::not_in) {
        if (tok_.kind != Tok::string) {
            if (tok_.kind != Tok::error) {
                error_at(tok_.pos, "expected a quoted value after '" + op_spelling(op) + "'");
            }
            return no_node;
        }
        const Selector::Span key = intern(label);
        const Selector::Span value = intern(tok_.text);
        lex();
        return add({op, key, value, 0, 0});
    }

    // SET := "{" [ STR ( "," STR )* [","] ] "}"
    if (tok_.kind != Tok::lbrace) {
        if (tok_.kind != Tok::error) {
            error_at(tok_.pos, "expected '{' after '" + op_spelling(op) + "' (a set: {'a', 'b'})");
        }
        return no_node;
    }
    std::vector<std::string_view> members;
    lex();
    bool after_comma = false;
    while (tok_.kind == Tok::string) {
        members.push_back(tok_.text);
        lex();
        after_comma = tok_.kind == Tok::comma;
        if (!after_comma) break;
        lex();
    }
    if (tok_.kind != Tok::rbrace) {
        if (tok_.kind == Tok::error) return no_node;
        if (tok_.kind == Tok::end) {
            error_at(tok_.pos, "missing '}' at the end of the set");
        } else if (members.empty() && tok_.kind == Tok::comma) {
            error_at(tok_.pos, "leading ',' in set: expected a quoted value or '}'");
        } else if (members.empty() || after_comma) {
            error_at(tok_.pos, "expected a quoted value or '}' in set, found " + describe(tok_));
        } else {
            error_at(tok_.pos, "expected ',' or '}' after a value in the set, found " +
                                   describe(tok_));
        }
        return no_node;
    }
    lex();
    // Calico stores sets sorted (byte order) and de-duplicated; so does the canonical form.
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    const Selector::Span key = intern(label);
    const auto first = static_cast<uint32_t>(out_.set_items_.size());
    for (std::string_view m : members) out_.set_items_.push_back(intern(m));
    return add({op, key, {}, first, static_cast<uint32_t>(members.size())});
}

// Calico's String(): see ast.go collectFragments.
void SelectorParser::print(uint32_t i, std::string& out) const {
    const Node& n = nodes_[i];
    auto quoted = [&out](std::string_view v) {
        const char q = v.find('"') == std::string_view::npos ? '"' : '\'';
        out += q;
        out += v;
        out += q;
    };
    switch (n.kind) {
    case NodeKind::all:
        if (all_key_.empty()) {
            out += "all()";
        } else {
            out += "has(";
            out += all_key_;
            out += ')';
        }
        return;
    case NodeKind::global: out += "global()"; return;
    case NodeKind::has:
        out += "has(";
        out += key_prefix_;
        out += out_.view(n.key);
        out += ')';
        return;
    case NodeKind::eq:
    case NodeKind::ne:
    case NodeKind::contains:
    case NodeKind::starts_with:
    case NodeKind::ends_with:
        out += key_prefix_;
        out += out_.view(n.key);
        out += ' ';
        out += op_spelling(n.kind);
        out += ' ';
        quoted(out_.view(n.value));
        return;
    case NodeKind::in:
    case NodeKind::not_in:
        out += key_prefix_;
        out += out_.view(n.key);
        out += ' ';
        out += op_spelling(n.kind);
        out += " {";
        for (uint32_t k = 0; k < n.count; ++k) {
            if (k > 0) out += ", ";
            quoted(out_.view(out_.set_items_[n.first + k]));
        }
        out += '}';
        return;
    case NodeKind::not_:
        out += '!';
        print(n.first, out);
        return;
    case NodeKind::and_:
    case NodeKind::or_:
        out += '(';
        for (uint32_t k = 0; k < n.count; ++k) {
            if (k > 0) out += n.kind == NodeKind::and_ ? " && " : " || ";
            print(kids_[n.first + k], out);
        }
        out += ')';
        return;
    }
}

uint32_t SelectorParser::emit(Selector::TestOp op, const Node& n, Selector::Span arg,
                              uint32_t on_true, uint32_t on_false) {
    // A test whose outcome does not matter is left out: `has(a) || all()` is constant.
    if (on_true == on_false) return on_true;
    out_.tests_.push_back({op, n.key, arg, on_true, on_false});
    return static_cast<uint32_t>(out_.tests_.size() - 1);
}

// Emits the tests of node i (back to front) so that control reaches on_true when it holds and
// on_false when not; returns the entry point, which is one of the targets when i is constant.
uint32_t SelectorParser::compile(uint32_t i, uint32_t on_true, uint32_t on_false) {
    using Op = Selector::TestOp;
    const Node& n = nodes_[i];
    switch (n.kind) {
    case NodeKind::all:
    case NodeKind::global: return on_true;
    case NodeKind::has: return emit(Op::has, n, {}, on_true, on_false);
    case NodeKind::eq: return emit(Op::eq, n, n.value, on_true, on_false);
    case NodeKind::ne: return emit(Op::eq, n, n.value, on_false, on_true);  // absent or different
    case NodeKind::contains: return emit(Op::contains, n, n.value, on_true, on_false);
    case NodeKind::starts_with: return emit(Op::starts_with, n, n.value, on_true, on_false);
    case NodeKind::ends_with: return emit(Op::ends_with, n, n.value, on_true, on_false);
    case NodeKind::in:
        if (n.count == 0) return on_false;
        return emit(Op::in, n, {n.first, n.count}, on_true, on_false);
    case NodeKind::not_in:  // absent or not a member
        if (n.count == 0) return on_true;
        return emit(Op::in, n, {n.first, n.count}, on_false, on_true);
    case NodeKind::not_: return compile(n.first, on_false, on_true);
    case NodeKind::and_: {
        uint32_t next = on_true;
        for (uint32_t k = n.count; k-- > 0;) next = compile(kids_[n.first + k], next, on_false);
        return next;
    }
    case NodeKind::or_: {
        uint32_t next = on_false;
        for (uint32_t k = n.count; k-- > 0;) next = compile(kids_[n.first + k], on_true, next);
        return next;
    }
    }
    return on_false;
}

std::optional<Selector> SelectorParser::run() {
    if (in_.size() > Selector::max_text_length) {
        error_at(0, "selector is longer than " + std::to_string(Selector::max_text_length) +
                        " bytes");
        return std::nullopt;
    }
    lex();
    uint32_t root = no_node;
    if (tok_.kind == Tok::end) {
        root = add({NodeKind::all, {}, {}, 0, 0});  // empty or blank: all()
    } else {
        root = parse_or();
        if (root != no_node && tok_.kind != Tok::end) {
            if (tok_.kind == Tok::rparen) {
                error_at(tok_.pos, "unbalanced ')': no matching '(' before it");
            } else if (tok_.kind != Tok::error) {
                error_at(tok_.pos, "expected '&&', '||' or the end of the selector after a "
                                   "complete expression, found " + describe(tok_));
            }
        }
    }
    if (failed_) return std::nullopt;

    out_.canonical_.clear();  // out_ started as the default all()
    print(root, out_.canonical_);

    // compile() emits back to front; reverse so that the entry comes first and jumps go forward.
    const uint32_t entry = compile(root, Selector::accept, Selector::reject);
    const auto count = static_cast<uint32_t>(out_.tests_.size());
    auto remap = [count](uint32_t target) {
        return target >= Selector::accept ? target : count - 1 - target;
    };
    std::reverse(out_.tests_.begin(), out_.tests_.end());
    for (auto& t : out_.tests_) {
        t.on_true = remap(t.on_true);
        t.on_false = remap(t.on_false);
    }
    out_.entry_ = remap(entry);
    out_.pool_.shrink_to_fit();
    out_.tests_.shrink_to_fit();
    out_.set_items_.shrink_to_fit();
    return std::move(out_);
}

std::optional<std::string> SelectorParser::rewrite(std::string_view prefix, std::string_view all_key) {
    lex();
    uint32_t root = tok_.kind == Tok::end ? add({NodeKind::all, {}, {}, 0, 0}) : parse_or();
    if (failed_ || root == no_node || tok_.kind != Tok::end) return std::nullopt;
    key_prefix_ = prefix;
    all_key_ = all_key;
    std::string out;
    print(root, out);
    return out;
}

std::string Selector::with_prefixed_labels(std::string_view prefix, std::string_view all_key) const {
    Diagnostics ignored;
    const Location where{};
    SelectorParser p(canonical_, ignored, where);
    return p.rewrite(prefix, all_key).value_or(canonical_);
}

Selector::Selector() : canonical_("all()") {}

uint64_t Selector::hash() const { return stable_hash64(canonical_); }

std::optional<Selector> Selector::parse(std::string_view text, Diagnostics& diags,
                                        const Location& where) {
    SelectorParser p(text, diags, where);
    return p.run();
}

namespace {

// Byte equality without a call into memcmp: label keys and values are short (at most 63 bytes for
// values, 317 for keys), and for strings that short the out-of-line call costs more than the
// comparison. Lengths first, so most unequal keys cost one compare.
inline bool same_bytes(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

// Labels::find does a binary search with memcmp at each step; endpoints carry a handful of labels,
// where a linear scan that compares lengths first is several times faster. Large maps still go
// through the binary search.
constexpr size_t linear_scan_max = 16;

inline const std::string* find_label(const Labels& labels, std::string_view key) {
    if (labels.size() > linear_scan_max) return labels.find(key);
    for (const auto& entry : labels) {
        if (same_bytes(entry.first, key)) return &entry.second;
    }
    return nullptr;
}

}  // namespace

bool Selector::run(const Test& t, const std::string& value) const {
    const std::string_view v = value;
    switch (t.op) {
    case TestOp::has: return true;
    case TestOp::eq: return same_bytes(v, view(t.arg));
    case TestOp::contains: return v.find(view(t.arg)) != std::string_view::npos;
    case TestOp::starts_with: return v.starts_with(view(t.arg));
    case TestOp::ends_with: return v.ends_with(view(t.arg));
    case TestOp::in: {
        const Span* first = set_items_.data() + t.arg.off;
        const Span* last = first + t.arg.len;
        if (t.arg.len <= linear_scan_max) {
            for (const Span* it = first; it != last; ++it) {
                if (same_bytes(view(*it), v)) return true;
            }
            return false;
        }
        const Span* it = std::lower_bound(
            first, last, v, [this](Span s, std::string_view x) { return view(s) < x; });
        return it != last && view(*it) == v;
    }
    }
    return false;
}

bool Selector::matches(const Labels& labels) const {
    uint32_t pc = entry_;
    while (pc < accept) {
        const Test& t = tests_[pc];
        const std::string* value = find_label(labels, view(t.key));
        pc = (value != nullptr && run(t, *value)) ? t.on_true : t.on_false;
    }
    return pc == accept;
}

}  // namespace hepd
