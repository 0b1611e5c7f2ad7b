#pragma once
// Zone JSON text and files (format in dns/zone.hpp). Separate from zone.hpp because it reuses
// the scenario loader's strict JSON reader (duplicate keys and absurd nesting are errors),
// and zone.hpp must stay includable from the scenario model.
#include <delivsim/dns/zone.hpp>
#include <delivsim/scenario/load.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace delivsim::dns {

inline Zone parse_zone_text(const std::string& text, const std::string& source = "zone") {
    return parse_zone(delivsim::detail::parse_json_text(text, source));
}

inline Zone load_zone(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ScenarioError(path, "is a directory, not a zone file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ScenarioError(path, "cannot be opened for reading");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_zone_text(text.str(), path);
}

}  // namespace delivsim::dns
