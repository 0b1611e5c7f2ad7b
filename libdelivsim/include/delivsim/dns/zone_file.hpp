#pragma once
// Zone JSON text and files (format in dns/zone.hpp), read by the strict JSON reader
// (duplicate keys and absurd nesting are errors).
#include <delivsim/core/json.hpp>
#include <delivsim/dns/zone.hpp>

#include <string>

namespace delivsim::dns {

inline Zone parse_zone_text(const std::string& text, const std::string& source = "zone") {
    return parse_zone(parse_json(text, source));
}

inline Zone load_zone(const std::string& path) { return parse_zone(read_json_file(path)); }

}  // namespace delivsim::dns
