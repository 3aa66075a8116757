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
std::array<std::atomic<bool>, kSlots> g_interruptible{};  // set before the slot's pid
std::atomic<int> g_reason{0};
static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "signal handlers need lock-free atomics");

// each child leads its own process group (engine/process.cpp): the group holds the docker CLI
// and the buildx plugin it runs, which the CLI does not pass signals on to
void signal_all(int sig, bool interruptible_only) noexcept {
    for (int i = 0; i < kSlots; ++i) {
        pid_t pid = g_children[i].load();
        if (pid <= 0 || (interruptible_only && !g_interruptible[i].load())) continue;
        if (::kill(-pid, sig) != 0) ::kill(pid, sig);
    }
}
}  // namespace

bool cancel_requested() noexcept { return g_reason.load() != 0; }

CancelReason cancel_reason() noexcept { return static_cast<CancelReason>(g_reason.load()); }

void request_cancel(CancelReason reason) noexcept {
    int expected = 0;
    g_reason.compare_exchange_strong(expected, static_cast<int>(reason));
    signal_all(SIGINT, true);
}

void kill_children() noexcept { signal_all(SIGKILL, false); }

int running_children() noexcept {
    int n = 0;
    for (auto& slot : g_children) n += slot.load() > 0;
    return n;
}

void reset_cancel() noexcept { g_reason.store(0); }

ChildRegistration::ChildRegistration(pid_t pid, bool interruptible) noexcept : pid_(pid) {
    for (int i = 0; i < kSlots; ++i) {
        pid_t empty = 0;
        if (g_children[i].load() == 0) g_interruptible[i].store(interruptible);
        if (g_children[i].compare_exchange_strong(empty, pid)) {
            g_interruptible[i].store(interruptible);
            slot_ = i;
            break;
        }
    }
    // a request before the slot was filled
    if (interruptible && cancel_requested() && ::kill(-pid, SIGINT) != 0) ::kill(pid, SIGINT);
}

ChildRegistration::~ChildRegistration() {
    if (slot_ >= 0) {
        pid_t mine = pid_;
        g_children[slot_].compare_exchange_strong(mine, 0);
    }
}

}  // namespace pymatrix
