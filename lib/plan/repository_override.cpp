// --repository: one repository for every build of a run, instead of [defaults].repository.
#include "pymatrix/plan.hpp"
#include "pymatrix/tags.hpp"

#include <fmt/format.h>

namespace pymatrix {

void override_repository(std::vector<Build>& builds, const std::string& repository, const std::string& option) {
    if (auto problem = repository_problem(repository); !problem.empty())
        throw ConfigError({}, option, fmt::format("'{}': {}", repository, problem));
    for (auto& b : builds) {
        for (auto& t : b.tags) t = repository + t.substr(b.repository.size());  // "<old repo>:<tag>" -> "<new>:<tag>"
        b.repository = repository;
    }
}

}  // namespace pymatrix
