#pragma once
// Files a run reads or replaces. Inputs (scenarios, worlds, checkpoints) are regular files
// only, read up to a size cap: a FIFO would block, /dev/zero would never end, and a 1 GB
// document would exhaust memory inside the JSON parser. Outputs that are replaced (checkpoints)
// are written next to their final target and renamed over it, so a symlink keeps pointing at
// fresh data, and a device node, FIFO or directory at the path is refused rather than
// replaced (as root, rename() would turn /dev/null into a regular file).
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace delivsim {

// Largest scenario or world file read (its JSON document takes about 25 times this in memory).
inline constexpr std::uint64_t max_input_file_bytes = 16ull << 20;
// Largest checkpoint read (the scenario document plus counts).
inline constexpr std::uint64_t max_checkpoint_file_bytes = 256ull << 20;

namespace detail {

// What a non-regular file is, in words.
inline std::string file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISLNK(m)) return "a symbolic link";
    return "not a regular file";
}

inline std::string mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace detail

// The whole content of the regular file at `path`, at most `max_bytes` long; anything else
// calls fail(rule) with the rule it breaks (fail must throw). Never blocks on a FIFO and never
// opens a device: the type is checked before opening, and again on the open descriptor.
template <class Fail>
std::string read_regular_file(const std::string& path, std::uint64_t max_bytes, Fail&& fail) {
    if (path.empty()) fail("the path is empty");
    if (path.find('\0') != std::string::npos) fail("the path contains a NUL character");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) fail(std::string("cannot be opened for reading (") + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode)) fail("is " + detail::file_kind(st.st_mode) + ", not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
        fail("is " + std::to_string(st.st_size) + " bytes, more than the " + detail::mib(max_bytes) + " limit");
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail(std::string("cannot be opened for reading (") + std::strerror(errno) + ")");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) fail("is " + detail::file_kind(st.st_mode) + ", not a regular file");
    std::string text;
    try {
        text.resize(static_cast<std::size_t>(st.st_size));
        std::size_t got = 0;
        for (;;) {
            if (got == text.size()) {  // the file grew since fstat: read on, within the cap
                if (text.size() > max_bytes) break;
                text.resize(std::min<std::uint64_t>(max_bytes + 1, text.size() + (1u << 16)));
            }
            const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail(std::string("cannot be read (") + std::strerror(errno) + ")");
            if (n == 0) break;
            got += static_cast<std::size_t>(n);
        }
        if (got > max_bytes) fail("is more than the " + detail::mib(max_bytes) + " limit");
        text.resize(got);
    } catch (const std::bad_alloc&) {
        fail("is too large to read into memory");
    }
    return text;
}

// The path a replacing write must go to: `path` itself, or the final target of the symbolic
// links it names (followed, relative links from their own directory). Refuses a path that is,
// or whose target is, anything but a regular file or nothing yet. fail(rule) must throw.
template <class Fail>
std::string replace_target(const std::string& path, Fail&& fail) {
    namespace fs = std::filesystem;
    if (path.empty()) fail("the path is empty");
    if (path.find('\0') != std::string::npos) fail("the path contains a NUL character");
    fs::path p = path;
    for (int hops = 0;; ++hops) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) {
            if (errno == ENOENT) break;  // a new file
            fail(std::string("cannot be inspected (") + std::strerror(errno) + ")");
        }
        if (S_ISLNK(st.st_mode)) {
            if (hops >= 40) fail("has too many levels of symbolic links");
            std::error_code ec;
            const fs::path to = fs::read_symlink(p, ec);
            if (ec) fail("is a symbolic link that cannot be read (" + ec.message() + ")");
            p = to.is_absolute() ? to : p.parent_path() / to;
            continue;
        }
        if (!S_ISREG(st.st_mode))
            fail("is " + detail::file_kind(st.st_mode) + (hops ? " (through a symbolic link)" : "") +
                 ", not a regular file: refusing to replace it");
        break;
    }
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    struct stat ds {};
    if (::stat(dir.c_str(), &ds) != 0) fail(std::string("cannot be written (") + std::strerror(errno) + ")");
    if (!S_ISDIR(ds.st_mode)) fail("cannot be written (" + dir.string() + " is not a directory)");
    if (::access(dir.c_str(), W_OK) != 0) fail(std::string("cannot be written (") + std::strerror(errno) + ")");
    return p.string();
}

}  // namespace delivsim
