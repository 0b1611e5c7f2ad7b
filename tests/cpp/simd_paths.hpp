#pragma once
// The Philox paths a test can force (core/philox_batch.hpp): those this CPU runs, the portable
// scalar one always among them; a path the CPU lacks is named in the test's output.
#include <delivsim/core/philox_batch.hpp>

#include <doctest/doctest.h>

#include <vector>

namespace delivsim::testing {

inline std::vector<SimdPath> runnable_paths() {
    std::vector<SimdPath> out;
    for (SimdPath p : {SimdPath::scalar, SimdPath::avx2, SimdPath::avx512})
        if (simd_supported(p)) out.push_back(p);
        else MESSAGE("this CPU has no " << simd_path_names[static_cast<int>(p)] << ": that path is not tested here");
    return out;
}

// Path `p` while in scope, then the default again.
struct ForcedPath {
    explicit ForcedPath(SimdPath p) { force_simd_path(p); }
    ~ForcedPath() { force_simd_path(std::nullopt); }
    ForcedPath(const ForcedPath&) = delete;
    ForcedPath& operator=(const ForcedPath&) = delete;
};

}  // namespace delivsim::testing
