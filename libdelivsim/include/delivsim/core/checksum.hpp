#pragma once
// Checksums of saved results (checkpoints, pickled tallies): zlib's CRC-32, so that a damaged or
// edited file (a count moved between two cells, a vector rotated) is refused, not trusted.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace delivsim {

inline std::uint32_t crc32_of(std::string_view bytes) noexcept {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    while (!bytes.empty()) {  // zlib takes uInt lengths
        const auto n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
        crc = ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), n);
        bytes.remove_prefix(n);
    }
    return static_cast<std::uint32_t>(crc);
}

}  // namespace delivsim
