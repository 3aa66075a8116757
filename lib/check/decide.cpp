// The deployment gate's decision: image ISA requirement vs target CPU flags.
#include "pymatrix/check.hpp"
#include "pymatrix/isa.hpp"
#include "pymatrix/labels.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
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

namespace {
/// The rank of an amd64 variant: "" and "v1" 0, "v2" 1, "v3" 2, "v4" 3; -1 for anything else.
int variant_rank(const std::string& variant) {
    if (variant.empty() || variant == "v1") return 0;
    if (variant == "v2") return 1;
    if (variant == "v3") return 2;
    if (variant == "v4") return 3;
    return -1;
}

/// An index descriptor's platform, "os/architecture[/variant]", split.
struct Platform {
    std::string os, arch, variant;
};
Platform split_platform(const std::string& text) {
    std::vector<std::string> parts;
    std::istringstream in(text);
    for (std::string part; std::getline(in, part, '/');) parts.push_back(part);
    parts.resize(std::max<std::size_t>(parts.size(), 3));
    return {parts[0], parts[1], parts[2]};
}
}  // namespace

IndexVerdict decide_index(const std::vector<IndexEntryRequirement>& entries, const isa::CpuInfo& target,
                          bool allow_unlabelled) {
    IndexVerdict out;
    const std::string arch = target.arch == "x86_64" ? "amd64" : target.arch == "aarch64" ? "arm64" : target.arch;
    const auto& levels = isa::x86_64_levels();
    const int target_rank =
        static_cast<int>(std::find(levels.begin(), levels.end(), target.level) - levels.begin());  // size(): none
    std::optional<std::size_t> plain;
    int matched_rank = -1;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        out.entries.push_back(decide(entries[i].image, target, allow_unlabelled));
        out.gets.push_back(false);
        const Platform p = split_platform(entries[i].platform);
        if (p.os != "linux" || p.arch != arch) continue;
        if (arch != "amd64") {
            if (!out.matched) out.matched = i;
            continue;
        }
        const int rank = variant_rank(p.variant);
        if (p.variant.empty() && !plain) plain = i;
        if (rank >= 0 && rank <= target_rank && rank > matched_rank) {
            out.matched = i;
            matched_rank = rank;
        }
    }
    if (out.matched) out.gets[*out.matched] = true;
    if (plain) out.gets[*plain] = true;
    if (!out.matched && !plain) {
        out.reason = fmt::format("the index has no entry for linux/{} that a {} CPU gets", arch,
                                 target.level.empty() ? target.arch : target.level);
        return out;
    }
    std::vector<std::string> got;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!out.gets[i]) continue;
        if (!out.entries[i].accepted) {
            out.reason = fmt::format("the target may get {}, which it cannot run: {}", entries[i].platform,
                                     out.entries[i].reason);
            return out;
        }
        got.push_back(entries[i].platform);
    }
    out.accepted = true;
    if (!out.matched || !plain || *out.matched == *plain)
        out.reason = fmt::format("the target gets {}, and runs it", got.front());
    else
        out.reason = fmt::format("the target gets {} (engines that match platform variants) or {} (engines that do "
                                 "not), and runs both",
                                 entries[*out.matched].platform, entries[*plain].platform);
    return out;
}

IndexFloor index_floor(const std::vector<IndexEntryRequirement>& entries) {
    IndexFloor out;
    int floor_rank = 4;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const Platform p = split_platform(entries[i].platform);
        if (p.os != "linux" || p.arch != "amd64") continue;
        const int rank = variant_rank(p.variant);
        if (rank >= 0 && rank < floor_rank) {
            out.entry = i;
            floor_rank = rank;
        }
    }
    if (!out.entry) {
        out.refused = "the index has no linux/amd64 entry";
        return out;
    }
    const auto& levels = isa::x86_64_levels();
    // from the floor entry's own level: nodes below it run nothing of the index, and the affinity
    // of the floor entry keeps them out
    const auto own = std::find(levels.begin(), levels.end(), entries[*out.entry].image.level);
    const auto first = std::max(static_cast<std::size_t>(floor_rank),
                                own == levels.end() ? std::size_t{0} : static_cast<std::size_t>(own - levels.begin()));
    for (std::size_t l = first; l < levels.size(); ++l) {
        auto v = decide_index(entries, isa::cpu_for_level(levels[l]));
        if (!v.accepted) {
            out.entry.reset();
            out.refused = fmt::format("an {} node: {}", levels[l], v.reason);
            return out;
        }
    }
    return out;
}

}  // namespace pymatrix
