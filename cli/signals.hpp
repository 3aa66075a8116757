// cli/signals.hpp: Ctrl-C and SIGTERM during `pymatrix build`. The first signal cancels the run
// (pymatrix/cancel.hpp: running `docker buildx` children get SIGINT, no build starts, temporary
// and partial tags are removed); a second one kills the children and exits at once.
#pragma once

#include <functional>
#include <string>

namespace pymatrix::cli {

/// Installs the SIGINT and SIGTERM handlers. On the first signal: request_cancel(), then
/// `on_cancel(message)` is called from a watcher thread with one line saying what is being
/// cancelled; children still running `grace_seconds` later get SIGKILL. On a second signal:
/// SIGKILL to every child and _exit(128 + signal) without cleaning up. Throws Error (exit 1)
/// when the handlers cannot be installed. Call once per process.
void install_cancel_handlers(std::function<void(const std::string&)> on_cancel, double grace_seconds = 20);

/// Stops calling the `on_cancel` given to install_cancel_handlers() (before what it refers to is
/// destroyed); the handlers stay installed.
void clear_cancel_callback();

/// 128 + the first signal received (130 for SIGINT, 143 for SIGTERM), or 0 when none was.
int cancel_exit_code();

/// "SIGINT" / "SIGTERM" for the first signal received, "" when none was.
std::string cancel_signal_name();

}  // namespace pymatrix::cli
