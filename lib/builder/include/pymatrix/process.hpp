// pymatrix/process.hpp: the one way pymatrix starts a child process. Every child is started from
// an argument vector (Boost.Process; never a shell string), leads its own process group, gets
// SIGTERM when the pymatrix thread that started it dies, and is registered for cancellation
// (pymatrix/cancel.hpp) for as long as it runs.
#pragma once

#include "pymatrix/error.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace pymatrix {

/// Exit status and captured output of a finished command.
struct CommandResult {
    int exit_code = -1;
    std::string out;   ///< standard output, byte for byte
    std::string err;   ///< standard error, byte for byte
};

/// What a cancel request (request_cancel() of pymatrix/cancel.hpp) does to a child.
enum class OnCancel {
    interrupt,  ///< SIGINT to its process group at once (a build, a push, a registry round trip)
    finish,     ///< left to finish; only kill_children() (a second Ctrl-C) stops it. For the short
                ///< clean-up and bookkeeping calls that must still run after a cancel (removing a
                ///< temporary tag, reading an image's labels).
};

/// Receives bytes of a child's standard input in chunks: (data, size).
using ByteSink = std::function<void(const char* data, std::size_t size)>;
/// Writes a child's standard input through the sink it is given; called on a thread of its own.
using InputWriter = std::function<void(const ByteSink& write)>;
/// Receives one line of output, without its newline.
using LineSink = std::function<void(const std::string& line)>;

/// Runs `argv` (argv[0] looked up in PATH when it has no '/'), feeding `input` on its stdin,
/// and waits; stdout and stderr are captured apart. Throws EnvironmentError when argv[0] cannot
/// be found, Error when it cannot be started.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "",
                          OnCancel on_cancel = OnCancel::interrupt);

/// Runs `argv` streaming: `feed` (may be empty) writes its stdin on a thread of its own (a child
/// that exits early ends the feed quietly); `on_line` receives each line of stdout and stderr
/// merged, in order. Returns the exit code (a negative code, or 128 + N, when a signal ended it).
/// Rethrows what `feed` threw, after the child has exited. Throws EnvironmentError when argv[0]
/// cannot be found.
int stream_command(const std::vector<std::string>& argv, const InputWriter& feed, const LineSink& on_line,
                   OnCancel on_cancel = OnCancel::interrupt);

/// The path of `name`: itself when it contains '/' (and is executable), else its PATH entry.
/// Throws EnvironmentError naming scripts/setup-engine.sh when there is none.
std::string resolve_program(const std::string& name);

}  // namespace pymatrix
