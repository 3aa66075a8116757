// pymatrix/cancel.hpp: cancelling a run of builds. A process-wide registry of every child
// process pymatrix runs (pymatrix/process.hpp registers each one), so that Ctrl-C, SIGTERM or
// `--fail-fast` can stop them. One run of builds per process at a time. Throws nothing.
#pragma once

#include <sys/types.h>

namespace pymatrix {

/// Why a run was cancelled. The first request wins; later ones do not change it.
enum class CancelReason : int {
    none = 0,       ///< not cancelled
    fail_fast = 1,  ///< `--fail-fast`: a build failed
    sigint = 2,     ///< SIGINT (Ctrl-C): exit code 130
    sigterm = 3,    ///< SIGTERM: exit code 143
};

/// True once request_cancel() was called (thread-safe, async-signal-safe).
bool cancel_requested() noexcept;

/// The reason of the first request_cancel() call, CancelReason::none before.
CancelReason cancel_reason() noexcept;

/// Requests cancellation: records `reason` (if none was recorded yet) and sends SIGINT to the
/// process group of every registered interruptible child (a child leads its own group): `docker
/// buildx` then asks BuildKit to cancel its solve, `docker push` stops its upload. Interruptible
/// children registered later get SIGINT as soon as they register. Async-signal-safe (atomics
/// and kill(2) only): may be called from a signal handler.
void request_cancel(CancelReason reason) noexcept;

/// Sends SIGKILL to every registered child, interruptible or not (a child ignoring SIGINT; a
/// second Ctrl-C).
/// Async-signal-safe.
void kill_children() noexcept;

/// Number of registered children still running (for the CLI's "waiting for N" message).
int running_children() noexcept;

/// Clears the cancel request (an embedding program starting a new run). Not for signal handlers.
void reset_cancel() noexcept;

/// Registers `pid` for its lifetime (RAII): kill_children() kills it, and when `interruptible`
/// request_cancel() sends it SIGINT (when a cancel was already requested, the constructor does
/// so at once). A child that is not interruptible (a clean-up step) runs to its end after a
/// cancel. At most 256 children are registered at a time; further ones are not signalled
/// (pymatrix runs --jobs builds, each with one child at a time).
class ChildRegistration {
public:
    explicit ChildRegistration(pid_t pid, bool interruptible = true) noexcept;
    ~ChildRegistration();
    ChildRegistration(const ChildRegistration&) = delete;
    ChildRegistration& operator=(const ChildRegistration&) = delete;

private:
    int slot_ = -1;
    pid_t pid_;
};

}  // namespace pymatrix
