// One meaning of an image's size on both of Docker's image stores (pymatrix/image_store.hpp).
#include "pymatrix/image_store.hpp"

#include <array>
#include <charconv>
#include <string_view>

namespace pymatrix {
namespace {

/// The snapshotters the containerd image store names as its GraphDriver (containerd's own names;
/// the graph drivers are overlay2, fuse-overlayfs, btrfs, zfs, vfs, devicemapper, aufs).
constexpr std::array<std::string_view, 5> containerd_only = {"overlayfs", "native", "stargz", "devmapper", "nydus"};

std::optional<std::uint64_t> size_field(const nlohmann::json& doc) {
    if (!doc.is_object() || !doc.contains("Size")) return std::nullopt;
    const auto& s = doc["Size"];
    if (s.is_number_unsigned()) return s.get<std::uint64_t>();
    if (s.is_number_integer() && s.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(s.get<std::int64_t>());
    return std::nullopt;
}

}  // namespace

const char* to_string(ImageStore store) {
    switch (store) {
        case ImageStore::graph_driver: return "graph-driver";
        case ImageStore::containerd: return "containerd";
        case ImageStore::unknown: break;
    }
    return "unknown";
}

ImageStore image_store_of(const nlohmann::json& inspect) {
    if (!inspect.is_object() || !inspect.contains("GraphDriver") || !inspect["GraphDriver"].is_object())
        return ImageStore::unknown;
    const auto& gd = inspect["GraphDriver"];
    if (gd.contains("Data") && gd["Data"].is_object() && !gd["Data"].empty()) return ImageStore::graph_driver;
    const std::string name = gd.value("Name", "");
    for (auto n : containerd_only)
        if (name == n) return ImageStore::containerd;
    return ImageStore::unknown;
}

bool needs_history(const nlohmann::json& inspect) { return image_store_of(inspect) != ImageStore::graph_driver; }

std::optional<std::uint64_t> unpacked_size(const nlohmann::json& history) {
    if (!history.is_array() || history.empty()) return std::nullopt;
    std::uint64_t total = 0;
    for (const auto& entry : history) {
        auto s = size_field(entry);
        if (!s) return std::nullopt;
        total += *s;
    }
    return total;
}

std::optional<nlohmann::json> history_from_cli(const std::string& lines) {
    nlohmann::json out = nlohmann::json::array();
    std::size_t from = 0;
    while (from < lines.size()) {
        std::size_t nl = lines.find('\n', from);
        if (nl == std::string::npos) nl = lines.size();
        std::string_view line(lines.data() + from, nl - from);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) {
            std::uint64_t v = 0;
            auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
            if (ec != std::errc() || end != line.data() + line.size()) return std::nullopt;
            out.push_back({{"Size", v}});
        }
        from = nl + 1;
    }
    if (out.empty()) return std::nullopt;
    return out;
}

nlohmann::json normalize_local_image(nlohmann::json inspect, const std::optional<nlohmann::json>& history) {
    if (!inspect.is_object()) return inspect;
    const ImageStore store = image_store_of(inspect);
    const auto engine_size = size_field(inspect);
    std::optional<std::uint64_t> size;
    if (!needs_history(inspect)) size = engine_size;
    else if (history) size = unpacked_size(*history);
    nlohmann::json facts = {{"store", to_string(store)},
                            {"engine_size", engine_size ? nlohmann::json(*engine_size) : nlohmann::json(nullptr)},
                            {"size", size ? nlohmann::json(*size) : nlohmann::json(nullptr)},
                            {"content_size", store == ImageStore::containerd && engine_size ? nlohmann::json(*engine_size)
                                                                                             : nlohmann::json(nullptr)}};
    inspect["Size"] = size.value_or(0);
    inspect["Pymatrix"] = std::move(facts);
    return inspect;
}

}  // namespace pymatrix
