// pymatrix inspect IMAGE [--format table|json]: a `docker save` archive, a local image, or a registry
// reference (nothing pulled)
#include "commands.hpp"
#include "output.hpp"

#include "pymatrix/check.hpp"
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/image_labels.hpp"
#include "pymatrix/labels.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

namespace po = boost::program_options;

namespace pymatrix::cli {

int cmd_inspect(const Args& args) {
    const std::string usage = "pymatrix inspect IMAGE [--format table|json]";
    po::options_description desc("inspect options");
    desc.add_options()("help,h", "show this help")("format", po::value<std::string>()->default_value("table"),
                                                    "table or json");
    auto vm = parse_options(args, desc, "image", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc;
        return exit_ok;
    }
    std::string format = vm["format"].as<std::string>();
    require_format(format, {"table", "json"});
    if (!vm.count("image") || vm["image"].as<std::vector<std::string>>().size() != 1)
        throw ConfigError({}, "IMAGE", "exactly one image is needed (usage: " + usage + ")");
    const std::string ref = vm["image"].as<std::vector<std::string>>()[0];
    // read as check reads it: an archive (no daemon), the local store, or the registry (nothing pulled)
    std::unique_ptr<DockerDriver> engine;
    if (!std::filesystem::is_regular_file(ref)) engine = std::make_unique<DockerDriver>();
    const ImageLabels image = read_image_labels(ref, engine.get());
    nlohmann::json out = {{"image", ref}, {"source", source_name(image.source)}};
    if (image.source == ImageSource::local) {
        out["id"] = image.id;
        out["size_bytes"] = image.size_bytes;
    }
    if (image.source == ImageSource::registry) out["digest"] = image.digest;
    nlohmann::json labels = nlohmann::json::object();
    for (auto& [k, v] : image.labels)
        if (k.rfind("io.pymatrix.", 0) == 0 || k.rfind("org.opencontainers.image.", 0) == 0) labels[k] = v;
    bool labelled = labels.contains(label::config_args);
    out["labelled"] = labelled;
    out["labels"] = labels;
    if (labelled) {
        std::vector<std::string> features;
        std::string f = labels.value(label::isa_features, "");
        for (std::size_t p = 0; p < f.size();) {
            auto sp = f.find(' ', p);
            features.push_back(f.substr(p, sp - p));
            p = sp == std::string::npos ? f.size() : sp + 1;
        }
        out["decoded"] = {{"profile", labels.value(label::profile, "")},
                          {"python_version", labels.value(label::python_version, "")},
                          {"config_args", labels.value(label::config_args, "")},
                          {"config_hash", labels.value(label::config_hash, "")},
                          {"isa", {{"arch", labels.value(label::isa_arch, "")},
                                   {"level", labels.value(label::isa_level, "")},
                                   {"march", labels.value(label::isa_march, "")},
                                   {"features", features}}},
                          {"build_host_cpu", labels.value(label::build_host_cpu, "")},
                          {"created", labels.value(label::oci_created, "")}};
        if (labels.contains(label::package)) {  // a packaged python: its Debian packages, "name=version" each
            std::vector<std::string> packages;
            std::istringstream words(labels.value(label::package, ""));
            for (std::string w; words >> w;) packages.push_back(w);
            out["decoded"]["packages"] = packages;
        }
    }
    if (format == "json") {
        std::cout << out.dump(2) << '\n';
    } else {
        std::vector<std::vector<std::string>> rows = {{"LABEL", "VALUE"}};
        for (auto& [k, v] : labels.items()) rows.push_back({k, v.get<std::string>()});
        if (rows.size() > 1) print_table(rows);  // no bare header for an image without labels
    }
    if (!labelled) {
        std::cerr << fmt::format("pymatrix: {} carries no pymatrix labels (not built by pymatrix build)\n", ref);
        return exit_rejected;
    }
    return exit_ok;
}

}  // namespace pymatrix::cli
