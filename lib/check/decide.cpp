// The deployment gate's decision: image ISA requirement vs target CPU flags.
#include "pymatrix/check.hpp"
#include "pymatrix/labels.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <sstream>

namespace pymatrix {
namespace {
std::string layout_of(const isa::CpuInfo& cpu) {
    if (cpu.arch == "x86_64") return "the x86 layout (a 'flags' line)";
    if (cpu.arch == "aarch64") return "the aarch64 layout (a 'Features' line, no 'flags' line)";
    return "neither a 'flags' nor a 'Features' line";
}
}  // namespace

IsaRequirement requirement_of(const std::map<std::string, std::string>& labels) {
    IsaRequirement r;
    auto get = [&](const char* k) {
        auto it = labels.find(k);
        return it == labels.end() ? std::string() : it->second;
    };
    r.labelled = labels.count(label::isa_features) && labels.count(label::isa_arch);
    r.arch = get(label::isa_arch);
    r.level = get(label::isa_level);
    r.march = get(label::isa_march);
    std::istringstream words(get(label::isa_features));
    for (std::string w; words >> w;) r.features.insert(w);
    return r;
}

Verdict decide(const IsaRequirement& image, const isa::CpuInfo& target, bool allow_unlabelled) {
    Verdict v;
    if (target.hypervisor)
        v.warnings.push_back("the target runs under a hypervisor, which may mask CPU features: the decision uses "
                             "the flags it reports");
    if (!image.labelled) {
        v.accepted = allow_unlabelled;
        v.reason = allow_unlabelled ? "no pymatrix ISA labels; accepted because of --allow-unlabelled"
                                    : "no pymatrix ISA labels: what it needs from a CPU is unknown (fail closed; "
                                      "--allow-unlabelled accepts it)";
        return v;
    }
    if (image.arch != target.arch) {
        // an x86_64 container under qemu-user or Rosetta reads its host's /proc/cpuinfo: the layout
        // of the host's architecture, which says nothing of the emulated CPU's features
        v.features_unknown = true;
        v.reason = fmt::format("features unknown (emulated?): the image is {} and the target CPU is {}: the target's "
                               "cpuinfo has {}, which is also what a container emulated on such a host (qemu-user, "
                               "Rosetta) reads, so the {} features the image needs cannot be read from it; give the "
                               "cpuinfo of a native {} machine",
                               image.arch, target.arch, layout_of(target), image.arch, image.arch);
        return v;
    }
    for (auto& f : image.features)
        if (!target.flags.count(f)) v.missing.push_back(f);
    std::string gap;
    if (image.arch == "x86_64")
        gap = fmt::format("image needs {}, target is {}", image.level.empty() ? "?" : image.level,
                          target.level.empty() ? "below x86-64" : target.level);
    if (!v.missing.empty()) {
        v.reason = fmt::format("the target lacks {} ISA feature(s) the image was compiled for: {}{}", v.missing.size(),
                               util::join(v.missing, " "), gap.empty() ? "" : " (" + gap + ")");
        return v;
    }
    v.accepted = true;
    v.reason = fmt::format("the target has all {} ISA features the image needs{}", image.features.size(),
                           gap.empty() ? "" : " (" + gap + ")");
    return v;
}

}  // namespace pymatrix
