#pragma once
// JSON plumbing for every input file (scenarios, zones, worlds): the strict reader, reading a
// file, and Field, a read-only view of one JSON value that knows its path in the document, so
// that every validation error names the field and the rule it broke:
//   "profiles[1].mx[0].down: 1.3 is not a probability".
#include <delivsim/core/files.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace delivsim {

using json = nlohmann::json;

// Error messages are one line of valid UTF-8 whatever the input: control characters (a
// newline in a key, say) are escaped, and so is every byte that is not part of a valid UTF-8
// sequence (nlohmann quotes the raw bytes it choked on).
inline std::string escape_control(const std::string& s) {
    std::string out;
    auto hex = [&](const char* fmt, unsigned c) {
        char buf[8];
        std::snprintf(buf, sizeof buf, fmt, c);
        out += buf;
    };
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c < 0x20 || c == 0x7f) hex("\\u%04x", c);
        else if (c < 0x80) out += static_cast<char>(c);
        else {
            // Length of a well-formed sequence starting here (RFC 3629), or 0.
            const std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
            bool ok = n > 0 && i + n <= s.size();
            for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
            if (ok && n == 3) {  // no overlong forms, no surrogates
                const auto c1 = static_cast<unsigned char>(s[i + 1]);
                ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
            }
            if (ok && n == 4) {  // no overlong forms, nothing above U+10FFFF
                const auto c1 = static_cast<unsigned char>(s[i + 1]);
                ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
            }
            if (ok) {
                out.append(s, i, n);
                i += n;
                continue;
            }
            hex("\\x%02x", c);
        }
        ++i;
    }
    return out;
}

class ScenarioError : public std::invalid_argument {
public:
    ScenarioError(std::string path, std::string rule)
        : std::invalid_argument(escape_control(path.empty() ? rule : path + ": " + rule)),
          path_(std::move(path)), rule_(std::move(rule)) {}
    const std::string& path() const noexcept { return path_; }
    const std::string& rule() const noexcept { return rule_; }

private:
    std::string path_, rule_;
};

class Field {
public:
    Field(const json& value, std::string path) : value_(&value), path_(std::move(path)) {}

    const std::string& path() const noexcept { return path_; }
    const json& raw() const noexcept { return *value_; }

    [[noreturn]] void fail(const std::string& rule) const { throw ScenarioError(path_, rule); }

    // A short rendering of the value for error messages.
    // Containers are not dumped: a deeply nested value would recurse once per level.
    std::string shown() const {
        if (value_->is_array()) return value_->empty() ? "[]" : "[...]";
        if (value_->is_object()) return value_->empty() ? "{}" : "{...}";
        std::string s = value_->dump(-1, ' ', false, json::error_handler_t::replace);  // never throws: bad UTF-8 -> U+FFFD
        if (s.size() <= 40) return s;
        std::size_t cut = 37;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
        return s.substr(0, cut) + "...";
    }

    bool is_null() const noexcept { return value_->is_null(); }

    void expect_object() const {
        if (!value_->is_object()) fail(shown() + " is not an object");
    }

    // Every key must be one of `allowed`: a misspelt key is an error, never ignored.
    void allow_keys(std::initializer_list<std::string_view> allowed) const {
        expect_object();
        for (const auto& item : value_->items()) {
            bool ok = false;
            for (auto a : allowed) ok = ok || item.key() == a;
            if (!ok) child(item.key()).fail("unknown key '" + item.key() + "'");
        }
    }

    bool has(std::string_view key) const {
        expect_object();
        return value_->contains(key);
    }

    Field operator[](std::string_view key) const {
        expect_object();
        auto it = value_->find(key);
        if (it == value_->end()) child(key).fail("required field is missing");
        return Field(*it, child_path(key));
    }

    std::vector<Field> items() const {
        if (!value_->is_array()) fail(shown() + " is not an array");
        std::vector<Field> out;
        out.reserve(value_->size());
        for (std::size_t i = 0; i < value_->size(); ++i)
            out.emplace_back((*value_)[i], path_ + "[" + std::to_string(i) + "]");
        return out;
    }

    std::vector<std::pair<std::string, Field>> entries() const {
        expect_object();
        std::vector<std::pair<std::string, Field>> out;
        for (const auto& item : value_->items()) out.emplace_back(item.key(), Field(item.value(), child_path(item.key())));
        return out;
    }

    double number() const {
        if (!value_->is_number()) fail(shown() + " is not a number");
        const double x = value_->get<double>();
        if (!std::isfinite(x)) fail("must be a finite number");
        return x;
    }
    double probability() const {
        const double x = number();
        if (!(x >= 0.0 && x <= 1.0)) fail(shown() + " is not a probability");
        return x;
    }
    double non_negative() const {
        const double x = number();
        if (x < 0) fail(shown() + " is negative");
        return x;
    }
    double positive() const {
        const double x = number();
        if (!(x > 0)) fail(shown() + " must be greater than 0");
        return x;
    }
    // A whole number of bytes, seconds, messages...
    std::uint64_t count() const {
        if (value_->is_number_integer() || value_->is_number_unsigned()) {
            if (value_->is_number_integer() && !value_->is_number_unsigned() && value_->get<std::int64_t>() < 0)
                fail(shown() + " is negative");
            return value_->get<std::uint64_t>();
        }
        const double x = number();
        if (x < 0) fail(shown() + " is negative");
        if (x >= 18446744073709551616.0) fail(shown() + " is too large (more than 2^64-1)");
        if (x != std::floor(x)) fail(shown() + " is not a whole number");
        return static_cast<std::uint64_t>(x);
    }
    std::string string() const {
        if (!value_->is_string()) fail(shown() + " is not a string");
        return value_->get<std::string>();
    }
    std::string name() const {
        std::string s = string();
        if (s.empty()) fail("must not be empty");
        return s;
    }
    bool boolean() const {
        if (!value_->is_boolean()) fail(shown() + " is not true or false");
        return value_->get<bool>();
    }
    // One of a fixed set of words.
    template <std::size_t N>
    std::size_t choice(const std::array<std::string_view, N>& words) const {
        const std::string s = string();
        for (std::size_t i = 0; i < N; ++i)
            if (words[i] == s) return i;
        std::string list;
        for (auto w : words) list += (list.empty() ? "" : ", ") + std::string(w);
        fail("'" + s + "' is not one of: " + list);
    }

    Field child(std::string_view key) const { return Field(json_null(), child_path(key)); }

private:
    std::string child_path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }
    static const json& json_null() {
        static const json n;
        return n;
    }
    const json* value_;
    std::string path_;
};

// Mixture weights: non-empty, each >= 0, summing to 1 (to 1e-9). Returns the cumulative sums
// with the last forced to exactly 1 so that a uniform draw always lands in a component.
inline std::vector<double> mixture_cdf(const Field& where, const std::vector<std::pair<Field, double>>& weights) {
    if (weights.empty()) where.fail("mixture is empty: at least one component is required");
    double total = 0;
    std::vector<double> cdf;
    for (const auto& [field, w] : weights) {
        if (w < 0) field.fail(field.shown() + " is negative");
        total += w;
        cdf.push_back(total);
    }
    if (!std::isfinite(total)) where.fail("weights sum to infinity, not 1");
    if (std::fabs(total - 1.0) > 1e-9)
        where.fail("weights sum to " + json(total).dump() + ", not 1");
    cdf.back() = 1.0;
    return cdf;
}


// A SAX handler that builds the document with nlohmann's own DOM builder and also refuses a
// key repeated within one object (nlohmann would keep the last silently) and nesting deeper
// than any input file needs (it guards the stack). SAX rather than nlohmann's parser callback,
// whose end_object rescans the parent container: quadratic in a list of 10^5 profiles.
class StrictJsonReader {
public:
    static constexpr std::size_t max_depth = 64;
    using dom_builder = nlohmann::detail::json_sax_dom_parser<json>;

    explicit StrictJsonReader(json& doc) : dom_(doc) {}

    bool null() { return done(dom_.null()); }
    bool boolean(bool v) { return done(dom_.boolean(v)); }
    bool number_integer(json::number_integer_t v) { return done(dom_.number_integer(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return done(dom_.number_unsigned(v)); }
    bool number_float(json::number_float_t v, const json::string_t& text) { return done(dom_.number_float(v, text)); }
    bool string(json::string_t& v) { return done(dom_.string(v)); }
    bool binary(json::binary_t& v) { return done(dom_.binary(v)); }

    bool start_object(std::size_t n) { return open(true) && dom_.start_object(n); }
    bool start_array(std::size_t n) { return open(false) && dom_.start_array(n); }
    bool end_object() { return close() && dom_.end_object(); }
    bool end_array() { return close() && dom_.end_array(); }

    bool key(json::string_t& k) {
        Frame& top = stack_.back();
        top.key = k;
        if (!top.keys.insert(k).second) {
            const std::string where = path();
            throw ScenarioError(where.empty() ? k : where + "." + k, "duplicate key '" + k + "'");
        }
        return dom_.key(k);
    }

    template <class Exception>
    bool parse_error(std::size_t position, const std::string& last_token, const Exception& e) {
        return dom_.parse_error(position, last_token, e);  // throws e
    }

private:
    struct Frame {
        bool object;
        std::string key;
        std::size_t index;
        std::set<std::string> keys;
    };
    bool open(bool object) {
        if (stack_.size() >= max_depth)
            throw ScenarioError(path(), "nested deeper than " + std::to_string(max_depth) + " levels");
        stack_.push_back({object, {}, 0, {}});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return done(true);
    }
    // A value was completed: in an array, the next one has the next index.
    bool done(bool ok) {
        if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
        return ok;
    }
    // Path of the innermost open container, in the error messages' syntax.
    std::string path() const {
        std::string p;
        for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
            if (stack_[i].object) p += (p.empty() ? "" : ".") + stack_[i].key;
            else p += "[" + std::to_string(stack_[i].index) + "]";
        }
        return p;
    }
    dom_builder dom_;
    std::vector<Frame> stack_;
};

// Reads JSON text through StrictJsonReader (duplicate keys and depth refused); a syntax
// error becomes a ScenarioError on `source` with its line and column. Scenario, zone and
// world files all come through here.
inline json parse_json(const std::string& text, const std::string& source) {
    json doc;
    try {
        StrictJsonReader reader(doc);
        json::sax_parse(text, &reader);
    } catch (const json::exception& e) {
        std::string what = e.what();
        // nlohmann's message: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        const auto close = what.find("] ");
        throw ScenarioError(source, "not valid JSON: " + (close == std::string::npos ? what : what.substr(close + 2)));
    } catch (const std::bad_alloc&) {
        throw ScenarioError(source, "too large to parse in the memory available");
    }
    return doc;
}


// The text of an input file (scenario, zone, world): a regular file only (never a FIFO or a
// device), at most max_input_file_bytes (core/files.hpp); errors name the file.
inline std::string read_text_file(const std::string& path) {
    if (path.find('\0') != std::string::npos) throw ScenarioError("path", "contains a NUL character");
    return read_regular_file(path, max_input_file_bytes, [&](const std::string& rule) -> std::string {
        throw ScenarioError(path, rule);
    });
}

// An input file's JSON document, read strictly (parse_json); errors name the file.
inline json read_json_file(const std::string& path) { return parse_json(read_text_file(path), path); }

}  // namespace delivsim
