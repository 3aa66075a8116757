// The registry of running docker children and the cancel request (lock-free: usable from a
// signal handler).
#include "pymatrix/cancel.hpp"

#include <array>
#include <atomic>
#include <csignal>

namespace pymatrix {
namespace {
constexpr int kSlots = 256;
std::array<std::atomic<pid_t>, kSlots> g_children{};
std::atomic<int> g_reason{0};
static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "signal handlers need lock-free atomics");

// each child leads its own process group (engine/process.cpp): the group holds the docker CLI
// and the buildx plugin it runs, which the CLI does not pass signals on to
void signal_all(int sig) noexcept {
    for (auto& slot : g_children) {
        pid_t pid = slot.load();
        if (pid > 0 && ::kill(-pid, sig) != 0) ::kill(pid, sig);
    }
}
}  // namespace

bool cancel_requested() noexcept { return g_reason.load() != 0; }

CancelReason cancel_reason() noexcept { return static_cast<CancelReason>(g_reason.load()); }

void request_cancel(CancelReason reason) noexcept {
    int expected = 0;
    g_reason.compare_exchange_strong(expected, static_cast<int>(reason));
    signal_all(SIGINT);
}

void kill_children() noexcept { signal_all(SIGKILL); }

int running_children() noexcept {
    int n = 0;
    for (auto& slot : g_children) n += slot.load() > 0;
    return n;
}

void reset_cancel() noexcept { g_reason.store(0); }

ChildRegistration::ChildRegistration(pid_t pid) noexcept : pid_(pid) {
    for (int i = 0; i < kSlots; ++i) {
        pid_t empty = 0;
        if (g_children[i].compare_exchange_strong(empty, pid)) {
            slot_ = i;
            break;
        }
    }
    if (cancel_requested() && ::kill(-pid, SIGINT) != 0) ::kill(pid, SIGINT);  // a request before the slot was filled
}

ChildRegistration::~ChildRegistration() {
    if (slot_ >= 0) {
        pid_t mine = pid_;
        g_children[slot_].compare_exchange_strong(mine, 0);
    }
}

}  // namespace pymatrix
