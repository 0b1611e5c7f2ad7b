#pragma once
// The tag=value lists of RFC 6376 section 3.2, used by DKIM key records and (RFC 7489
// section 6.4) DMARC records:
//
//   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
//   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//   tag-name  = ALPHA *( ALPHA / DIGIT / "_" )
//   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]      ; tval = 1*( %x21-3A / %x3C-7E )
//
// Tag names are case-sensitive; a name may appear once ("if a tag name does occur more than
// once, the entire tag-list is invalid"). Whitespace around names and values is dropped,
// whitespace inside a value is kept. Any violation makes the whole list invalid.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace delivsim::auth {

struct TagList {
    std::vector<std::pair<std::string, std::string>> tags;  // in order
    std::string problem;                                    // "" when valid

    bool ok() const noexcept { return problem.empty(); }
    const std::string* find(std::string_view name) const noexcept {
        for (const auto& [n, v] : tags)
            if (n == name) return &v;
        return nullptr;
    }
};

namespace detail {
inline bool is_fws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
}  // namespace detail

inline TagList parse_tag_list(std::string_view text) {
    TagList out;
    auto fail = [&out](std::string why) {
        out.problem = std::move(why);
        out.tags.clear();
        return out;
    };
    std::size_t pos = 0;
    const std::size_t n = text.size();
    auto skip_ws = [&] {
        while (pos < n && detail::is_fws(text[pos])) ++pos;
    };
    while (true) {
        skip_ws();
        if (pos == n) {
            if (out.tags.empty()) return fail("empty tag list");
            return out;  // a trailing ";" (or nothing) ends the list
        }
        const std::size_t name_start = pos;
        const char first = text[pos];
        if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z')))
            return fail(text[pos] == ';' ? "empty tag" : "a tag name must start with a letter");
        while (pos < n && ((text[pos] >= 'a' && text[pos] <= 'z') || (text[pos] >= 'A' && text[pos] <= 'Z') ||
                           (text[pos] >= '0' && text[pos] <= '9') || text[pos] == '_'))
            ++pos;
        std::string name(text.substr(name_start, pos - name_start));
        skip_ws();
        if (pos == n || text[pos] != '=') return fail("tag '" + name + "' has no '='");
        ++pos;
        skip_ws();
        const std::size_t value_start = pos;
        std::size_t value_end = pos;
        while (pos < n && text[pos] != ';') {
            const auto c = static_cast<unsigned char>(text[pos]);
            if (detail::is_fws(text[pos])) {
                ++pos;
                continue;
            }
            if (c < 0x21 || c > 0x7e) return fail("tag '" + name + "' has an invalid character in its value");
            ++pos;
            value_end = pos;
        }
        for (const auto& t : out.tags)
            if (t.first == name) return fail("tag '" + name + "' appears more than once");
        out.tags.emplace_back(std::move(name), std::string(text.substr(value_start, value_end - value_start)));
        if (pos == n) return out;
        ++pos;  // ';'
    }
}

}  // namespace delivsim::auth
