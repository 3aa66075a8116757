// --push: every tag of a built image goes to its registry; the manifest digest is recorded.
#include "pymatrix/registry.hpp"

#include <fmt/format.h>

#include <regex>

namespace pymatrix {
namespace {

/// Connection-level failures: the registry is not there (exit 5), as opposed to a refusal.
bool unreachable(const std::string& text) {
    for (const char* s : {"connection refused", "no such host", "i/o timeout", "dial tcp", "server gave HTTP response to HTTPS",
                          "network is unreachable", "no route to host"})
        if (text.find(s) != std::string::npos) return true;
    return false;
}

std::string last_line(const std::string& s) {
    std::string t = s;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

void push_build(const Engine& engine, const Build& build, BuildResult& result) {
    if (!result.ok || result.in_registry) return;
    static const std::regex digest_line(R"(digest: (sha256:[0-9a-f]{64}))");
    std::string digest;
    for (const auto& tag : build.tags) {
        auto r = run_command({engine.docker(), "push", tag});
        std::string text = r.out + r.err;
        if (r.exit_code != 0) {
            std::string why = last_line(r.err.empty() ? r.out : r.err);
            if (unreachable(text))
                throw EnvironmentError(fmt::format("registry {} does not answer (pushing {}): {}", registry_host(tag), tag, why));
            result.ok = false;
            result.error = fmt::format("docker push {} failed: {}", tag, why);
            return;
        }
        std::smatch m;
        if (!std::regex_search(text, m, digest_line)) {
            result.ok = false;
            result.error = fmt::format("docker push {} printed no manifest digest", tag);
            return;
        }
        if (!digest.empty() && m[1].str() != digest) {
            result.ok = false;
            result.error = fmt::format("the registry returned two digests for one image: {} and {}", digest, m[1].str());
            return;
        }
        digest = m[1].str();
    }
    result.digest = digest;
    result.pushed = repository_of(build.tags.back()) + "@" + digest;
}

}  // namespace pymatrix
