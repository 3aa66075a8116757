// Running commands as argument vectors with Boost.Process v1 (never through a shell).
#include "pymatrix/cancel.hpp"
#include "pymatrix/engine.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <future>
#include <optional>
#include <thread>

namespace bp = boost::process;

namespace pymatrix {

namespace detail {
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
}  // namespace detail

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input) {
    std::string exe = detail::resolve_program(argv.at(0));
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    boost::asio::io_context ios;
    std::future<std::string> out, err;
    CommandResult r;
    try {
        bp::child c(exe, bp::args(args), bp::std_in < boost::asio::buffer(input), bp::std_out > out,
                    bp::std_err > err, ios, detail::child_setup);
        ios.run();
        c.wait();
        r.exit_code = c.exit_code();
    } catch (const bp::process_error& e) {
        throw Error(fmt::format("cannot run {}: {}", exe, e.what()));
    }
    r.out = out.get();
    r.err = err.get();
    return r;
}

int Engine::stream(const std::vector<std::string>& args,
                   const std::function<void(const std::function<void(const char*, std::size_t)>&)>& feed,
                   const std::function<void(const std::string&)>& on_line) const {
    std::signal(SIGPIPE, SIG_IGN);  // a writer to a process that exited gets EPIPE, not death
    bp::ipstream output;
    bp::opstream input;
    bp::child c(docker_, bp::args(args), (bp::std_out & bp::std_err) > output, bp::std_in < input,
                detail::child_setup);
    std::optional<ChildRegistration> registered(std::in_place, c.id());  // request_cancel() signals it
    std::exception_ptr feed_error;
    std::thread writer([&] {
        struct PipeClosed {};
        try {
            if (feed)
                feed([&](const char* d, std::size_t n) {
                    input.write(d, static_cast<std::streamsize>(n));
                    if (!input) throw PipeClosed{};
                });
        } catch (const PipeClosed&) {
        } catch (...) {
            feed_error = std::current_exception();
        }
        input.flush();
        input.pipe().close();
    });
    std::string line;
    while (std::getline(output, line)) on_line(line);
    writer.join();
    registered.reset();  // output closed: the child is exiting; no signal after it is reaped
    c.wait();
    if (feed_error) std::rethrow_exception(feed_error);
    return c.exit_code();
}

}  // namespace pymatrix
