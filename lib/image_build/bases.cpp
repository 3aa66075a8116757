// The base image check: one `FROM <base>` build per distinct base, through the builder.
#include "pymatrix/bases.hpp"
#include "pymatrix/cancel.hpp"
#include "pymatrix/render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <optional>

namespace pymatrix {
namespace {

/// The builder's last "ERROR: ..." line (else its last line), without the wrappers BuildKit puts
/// around a frontend's error: what is left names the reference and the registry's answer.
std::string reason_of(const std::vector<std::string>& lines) {
    std::string why;
    for (auto it = lines.rbegin(); it != lines.rend() && why.empty(); ++it)
        if (it->rfind("ERROR: ", 0) == 0) why = it->substr(7);
    if (why.empty() && !lines.empty()) why = lines.back();
    for (const char* wrapper : {"failed to solve: ", "rpc error: code = Unknown desc = ",
                                "failed to solve with frontend dockerfile.v0: ", "failed to create LLB definition: "})
        if (why.rfind(wrapper, 0) == 0) why.erase(0, std::char_traits<char>::length(wrapper));
    return why;
}

std::optional<BaseImageProblem> ask(const Builder& builder, const std::string& base, bool pull) {
    std::vector<std::string> lines;
    int rc = builder.build(
        base_probe_request(pull), [&](const ByteSink& write) { write_base_probe_context(base, write); },
        [&](const std::string& line) { lines.push_back(line); });
    if (rc == 0) return std::nullopt;
    BaseImageProblem p;
    p.base_image = base;
    p.detail = cancel_requested() ? "cancelled" : reason_of(lines);
    p.fault = classify_registry_fault(p.detail);
    return p;
}

}  // namespace

std::string BaseImageProblem::message() const {
    if (fault == RegistryFault::not_found)
        return fmt::format("base image '{}' does not exist: its registry answered not found ({})", base_image, detail);
    return fmt::format("base image '{}' cannot be pulled: {}: {}", base_image, describe(fault), detail);
}

BuildRequest base_probe_request(bool pull) {
    BuildRequest request;
    request.output = BuildOutput::cache_only;
    request.pull = pull;
    return request;
}

std::vector<std::string> distinct_base_images(const std::vector<Build>& builds) {
    std::vector<std::string> bases;
    for (const auto& b : builds)
        if (std::find(bases.begin(), bases.end(), b.base_image) == bases.end()) bases.push_back(b.base_image);
    return bases;
}

std::vector<BaseImageProblem> check_base_images(const Builder& builder, const std::vector<Build>& builds, bool pull) {
    const std::vector<std::string> bases = distinct_base_images(builds);
    std::vector<std::future<std::optional<BaseImageProblem>>> answers;
    for (const auto& base : bases)
        answers.push_back(std::async(std::launch::async, [&builder, &base, pull] { return ask(builder, base, pull); }));
    std::vector<BaseImageProblem> problems;
    for (auto& a : answers)  // every future waited for before a rethrow leaves this frame
        a.wait();
    for (auto& a : answers)
        if (auto p = a.get()) problems.push_back(std::move(*p));
    return problems;
}

}  // namespace pymatrix
