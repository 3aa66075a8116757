// Signal handling for `pymatrix build`: async-signal-safe handler + a watcher thread.
#include "signals.hpp"

#include "pymatrix/cancel.hpp"
#include "pymatrix/error.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

namespace pymatrix::cli {
namespace {
std::atomic<int> g_count{0};
std::atomic<int> g_first{0};
int g_pipe[2] = {-1, -1};
std::mutex g_callback_mu;
std::function<void(const std::string&)> g_callback;  // cleared before its target goes away

void tell(const std::string& message) {
    std::lock_guard<std::mutex> lock(g_callback_mu);
    if (g_callback) g_callback(message);
}

extern "C" void on_signal(int sig) {
    int n = ++g_count;
    if (n == 1) {
        g_first.store(sig);
        request_cancel(sig == SIGTERM ? CancelReason::sigterm : CancelReason::sigint);
        char c = static_cast<char>(sig);
        [[maybe_unused]] auto w = ::write(g_pipe[1], &c, 1);
        return;
    }
    kill_children();
    static const char msg[] = "\npymatrix: second signal: children killed, exiting at once (no clean-up)\n";
    [[maybe_unused]] auto w = ::write(2, msg, sizeof msg - 1);
    ::_exit(128 + (g_first.load() ? g_first.load() : sig));
}
}  // namespace

void install_cancel_handlers(std::function<void(const std::string&)> on_cancel, double grace_seconds) {
    if (::pipe2(g_pipe, O_CLOEXEC) != 0) throw Error(fmt::format("pipe: {}", std::strerror(errno)));
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(SIGINT, &sa, nullptr) != 0 || ::sigaction(SIGTERM, &sa, nullptr) != 0)
        throw Error(fmt::format("sigaction: {}", std::strerror(errno)));
    {
        std::lock_guard<std::mutex> lock(g_callback_mu);
        g_callback = std::move(on_cancel);
    }
    std::thread([grace_seconds] {
        char c = 0;
        while (::read(g_pipe[0], &c, 1) < 0 && errno == EINTR) {
        }
        int n = running_children();
        tell(fmt::format("{}: cancelling ({} docker process(es) running); press Ctrl-C again to exit at once",
                                  cancel_signal_name(), n));
        auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_seconds);
        while (running_children() > 0 && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (running_children() > 0) {
            tell(fmt::format("children still running after {:.0f} s: SIGKILL", grace_seconds));
            kill_children();
        }
    }).detach();
}

void clear_cancel_callback() {
    std::lock_guard<std::mutex> lock(g_callback_mu);
    g_callback = nullptr;
}

int cancel_exit_code() {
    int s = g_first.load();
    return s ? 128 + s : 0;
}

std::string cancel_signal_name() {
    int s = g_first.load();
    return s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : s ? fmt::format("signal {}", s) : "";
}

}  // namespace pymatrix::cli
