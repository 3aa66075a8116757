// cli/build_report.hpp: the parts of `pymatrix build` around the scheduler: wiring progress to
// it, the summary (table, shared stages, failures, what a cancel stopped) and the exit code.
#pragma once

#include "progress.hpp"

#include "pymatrix/scheduler.hpp"

#include <cstddef>
#include <vector>

namespace pymatrix::cli {

/// Routes the scheduler's callbacks (stage/build start and done, steps, cached steps) to `progress`.
void connect(Progress& progress, ScheduleOptions& options);

/// Columns of the terminal on stdout (TIOCGWINSZ), else $COLUMNS, else 100.
std::size_t terminal_width();

/// Prints the summary on stdout: the table (NAME STATUS DURATION SIZE TAGS), one line per shared
/// stage ("shared stage 1 build-deps+source (debian:bookworm-slim, Python-3.13.5.tar.xz): built in
/// 52s, used by 3 builds; apt step CACHED in 3 of 3"), `make -j` per build; then on stderr the
/// failure count and, after a cancel, which builds were stopped and which never started.
void print_summary(const std::vector<Build>& builds, const ScheduleResult& run);

/// The exit code of a run: 128 + signal after SIGINT/SIGTERM (130, 143); 3 when a build failed
/// or --fail-fast stopped the run; else 0.
int exit_code_of(const ScheduleResult& run);

}  // namespace pymatrix::cli
