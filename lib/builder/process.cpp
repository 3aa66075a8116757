// The one spawn path: every child process pymatrix starts (Boost.Process v1, argv only).
#include "pymatrix/cancel.hpp"
#include "pymatrix/process.hpp"

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <exception>
#include <optional>
#include <thread>

namespace bp = boost::process;

namespace pymatrix {
namespace {

/// In the child, before exec: its own process group (request_cancel() signals the group: the
/// docker CLI and its buildx plugin), so that a Ctrl-C on the terminal reaches pymatrix only,
/// which then cancels its builds and cleans up in order; SIGTERM when the pymatrix thread that
/// started it dies, even by SIGKILL; and close-on-exec on every inherited descriptor above 2:
/// with parallel builds another thread's pipes are open at fork time, and a child holding the
/// write end of another child's stdin would keep that build waiting for its context forever.
const auto child_setup = bp::extend::on_exec_setup([](auto&) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        for (int fd = 3; fd < 4096; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // kernels before 5.11
});

using ChunkSink = std::function<void(const char*, std::size_t)>;

/// Reads a pipe to its end, chunk by chunk.
void drain(bp::ipstream& from, const ChunkSink& to) {
    char buf[8192];
    for (;;) {
        int n = from.pipe().read(buf, sizeof buf);
        if (n <= 0) return;
        to(buf, static_cast<std::size_t>(n));
    }
}

/// Starts `argv`, registered for cancellation while it runs; writes stdin with `feed`, gives
/// stdout to `on_out` and stderr to `on_err` (when empty: stderr merged into `on_out`).
int spawn(const std::vector<std::string>& argv, const InputWriter& feed, const ChunkSink& on_out,
          const ChunkSink& on_err, OnCancel on_cancel) {
    std::string exe = resolve_program(argv.at(0));
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    std::signal(SIGPIPE, SIG_IGN);  // a writer to a process that exited gets EPIPE, not death
    bp::ipstream out, err;
    bp::opstream in;
    std::optional<bp::child> c;
    try {
        if (on_err) c.emplace(exe, bp::args(args), bp::std_out > out, bp::std_err > err, bp::std_in < in, child_setup);
        else c.emplace(exe, bp::args(args), (bp::std_out & bp::std_err) > out, bp::std_in < in, child_setup);
    } catch (const bp::process_error& e) {
        throw Error(fmt::format("cannot run {}: {}", exe, e.what()));
    }
    std::optional<ChildRegistration> registered(std::in_place, c->id(), on_cancel == OnCancel::interrupt);
    std::exception_ptr feed_error;
    std::thread writer([&] {
        struct PipeClosed {};
        try {
            if (feed)
                feed([&](const char* d, std::size_t n) {
                    in.write(d, static_cast<std::streamsize>(n));
                    if (!in) throw PipeClosed{};
                });
        } catch (const PipeClosed&) {
        } catch (...) {
            feed_error = std::current_exception();
        }
        in.flush();
        in.pipe().close();
    });
    std::thread err_reader;
    if (on_err) err_reader = std::thread([&] { drain(err, on_err); });
    drain(out, on_out);
    if (err_reader.joinable()) err_reader.join();
    writer.join();
    registered.reset();  // output closed: the child is exiting; no signal after it is reaped
    c->wait();
    if (feed_error) std::rethrow_exception(feed_error);
    return c->exit_code();
}

}  // namespace

std::string resolve_program(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        if (::access(name.c_str(), X_OK) != 0)
            throw EnvironmentError(fmt::format("'{}' is not an executable program; run scripts/setup-engine.sh", name));
        return name;
    }
    auto p = bp::search_path(name);
    if (p.empty()) throw EnvironmentError(fmt::format("'{}' was not found in PATH; run scripts/setup-engine.sh", name));
    return p.string();
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input, OnCancel on_cancel) {
    CommandResult r;
    auto feed = [&](const ByteSink& write) {
        if (!input.empty()) write(input.data(), input.size());
    };
    r.exit_code = spawn(
        argv, feed, [&](const char* d, std::size_t n) { r.out.append(d, n); },
        [&](const char* d, std::size_t n) { r.err.append(d, n); }, on_cancel);
    return r;
}

int stream_command(const std::vector<std::string>& argv, const InputWriter& feed, const LineSink& on_line,
                   OnCancel on_cancel) {
    std::string pending;
    int rc = spawn(
        argv, feed,
        [&](const char* d, std::size_t n) {
            pending.append(d, n);
            std::size_t from = 0;
            for (std::size_t nl; (nl = pending.find('\n', from)) != std::string::npos; from = nl + 1)
                on_line(pending.substr(from, nl - from));
            pending.erase(0, from);
        },
        {}, on_cancel);
    if (!pending.empty()) on_line(pending);
    return rc;
}

}  // namespace pymatrix
