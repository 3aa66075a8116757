// buildx driver names (pymatrix/builder.hpp).
#include "pymatrix/builder.hpp"

namespace pymatrix {

const char* to_string(BuilderDriver driver) {
    switch (driver) {
        case BuilderDriver::docker: return "docker";
        case BuilderDriver::docker_container: return "docker-container";
        case BuilderDriver::kubernetes: return "kubernetes";
        case BuilderDriver::remote: break;
    }
    return "remote";
}

std::optional<BuilderDriver> parse_builder_driver(const std::string& name) {
    for (auto d : {BuilderDriver::docker, BuilderDriver::docker_container, BuilderDriver::kubernetes, BuilderDriver::remote})
        if (name == to_string(d)) return d;
    return std::nullopt;
}

}  // namespace pymatrix
