// --push: every tag of a built image goes to its registry; the manifest digest is recorded.
#include "pymatrix/registry.hpp"

#include "pymatrix/cancel.hpp"
#include "pymatrix/registry_fault.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <thread>

namespace pymatrix {
namespace {

/// Waits `seconds` before the next attempt; false when a cancel request came meanwhile.
bool wait_before_retry(int seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
        if (cancel_requested()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return !cancel_requested();
}

/// The wait before each attempt after the first: push_attempts - 1 of them.
constexpr int backoff_seconds[] = {1, 3};
static_assert(std::size(backoff_seconds) == push_attempts - 1);

/// One tag's push, tried again after a transient fault. `attempts` = tries made.
RegistryWrite push_with_retry(const Builder& builder, const std::string& tag, int& attempts) {
    RegistryWrite w;
    for (attempts = 1;; ++attempts) {
        w = builder.push(tag);
        if (w.ok || w.interrupted || attempts == push_attempts || !is_transient(classify_registry_fault(w.message)))
            return w;
        if (!wait_before_retry(backoff_seconds[attempts - 1])) {
            w.interrupted = true;
            return w;
        }
    }
}

}  // namespace

void push_build(const Builder& builder, const Build& build, BuildResult& result) {
    if (!result.ok() || result.push != PushState::not_pushed) return;  // in the registry, or pushed by the builder
    std::string digest;
    for (const auto& tag : build.tags) {
        int attempts = 0;
        auto w = push_with_retry(builder, tag, attempts);
        if (w.interrupted) {
            result.outcome = BuildOutcome::cancelled;
            result.error = fmt::format("cancelled during the push of {}; nothing recorded as pushed", tag);
            return;
        }
        if (!w.ok || w.digest.empty()) {
            result.outcome = BuildOutcome::failed;
            result.error = w.ok ? fmt::format("docker push {} printed no manifest digest", tag)
                                : fmt::format("push of {} to registry {} failed{}, {}: {}; nothing recorded as pushed",
                                              tag, registry_host(tag),
                                              attempts > 1 ? fmt::format(" ({} attempts)", attempts) : "",
                                              describe(classify_registry_fault(w.message)), w.message);
            return;
        }
        if (!digest.empty() && w.digest != digest) {
            result.outcome = BuildOutcome::failed;
            result.error = fmt::format("the registry returned two digests for one image: {} and {}", digest, w.digest);
            return;
        }
        digest = w.digest;
    }
    result.digest = digest;
    result.pushed = repository_of(build.tags.back()) + "@" + digest;
    result.push = PushState::pushed;
}

}  // namespace pymatrix
