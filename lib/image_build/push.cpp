// --push: every tag of a built image goes to its registry; the manifest digest is recorded.
#include "pymatrix/registry.hpp"

#include "pymatrix/registry_fault.hpp"

#include <fmt/format.h>

namespace pymatrix {

void push_build(const Builder& builder, const Build& build, BuildResult& result) {
    if (!result.ok() || result.push != PushState::not_pushed) return;  // in the registry, or pushed by the builder
    std::string digest;
    for (const auto& tag : build.tags) {
        auto w = builder.push(tag);
        if (w.interrupted) {
            result.outcome = BuildOutcome::cancelled;
            result.error = fmt::format("cancelled during the push of {}; nothing recorded as pushed", tag);
            return;
        }
        if (!w.ok || w.digest.empty()) {
            result.outcome = BuildOutcome::failed;
            result.error = w.ok ? fmt::format("docker push {} printed no manifest digest", tag)
                                : fmt::format("push of {} to registry {} failed, {}: {}; nothing recorded as pushed", tag,
                                              registry_host(tag), describe(classify_registry_fault(w.message)), w.message);
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
