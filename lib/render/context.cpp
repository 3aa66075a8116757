// Build contexts: an atomic directory per build (`generate`), and a tar stream (`build`).
#include "pymatrix/labels.hpp"
#include "pymatrix/render.hpp"
#include "tar_writer.hpp"
#include "util/text.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>

namespace fs = std::filesystem;

namespace pymatrix {

std::vector<fs::path> write_build_dirs(const std::vector<Build>& builds, const fs::path& out_dir) {
    std::vector<std::pair<std::string, std::vector<ContextFile>>> rendered;
    for (auto& b : builds) rendered.emplace_back(b.name, render_context_files(b));  // render all first

    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot create directory: {}", out_dir.string(), ec.message()), exit_config);
    fs::path tmp = out_dir / fmt::format(".pymatrix-tmp-{}", ::getpid());
    fs::remove_all(tmp, ec);
    auto cleanup = [&] { fs::remove_all(tmp, ec); };
    try {
        for (auto& [name, files] : rendered)
            for (auto& f : files) {
                fs::path p = tmp / name / f.path;
                fs::create_directories(p.parent_path());
                std::ofstream o(p, std::ios::binary | std::ios::trunc);
                o.write(f.content.data(), static_cast<std::streamsize>(f.content.size()));
                o.close();
                if (!o) throw Error(fmt::format("{}: write failed", p.string()));
                fs::permissions(p, static_cast<fs::perms>(f.mode), fs::perm_options::replace);
            }
        std::vector<fs::path> out;
        for (auto& [name, _] : rendered) {
            fs::path dest = out_dir / name;
            fs::remove_all(dest);
            fs::rename(tmp / name, dest);
            out.push_back(dest / "Dockerfile");
        }
        cleanup();
        return out;
    } catch (const fs::filesystem_error& e) {
        cleanup();
        throw Error(fmt::format("writing {}: {}", out_dir.string(), e.what()));
    } catch (...) {
        cleanup();
        throw;
    }
}

void write_build_context(const Build& b, const std::function<void(const char*, std::size_t)>& sink) {
    if (b.python.source_path.empty())
        throw Error(fmt::format("{}: source '{}' is a URL; fetch it first", b.name, b.python.source));
    render::TarWriter tar(sink);
    for (auto& f : render_context_files(b)) tar.add(f.path, f.content, f.mode);
    tar.add_file(context_source_name(b), b.python.source_path, b.python.sha256);
    tar.finish();
}

void write_label_context(const std::string& from_image, const BuildInfo& info,
                         const std::function<void(const char* data, std::size_t size)>& sink) {
    render::TarWriter tar(sink);
    tar.add("Dockerfile", "FROM " + from_image + "\nCOPY isa-features isa.json /usr/local/share/pymatrix/\n");
    std::vector<std::string> features(info.features.begin(), info.features.end());
    tar.add("isa-features", util::join(features, " ") + "\n");
    nlohmann::json isa = {{"arch", info.arch}, {"level", info.level}, {"features", features},
                          {"march_requested", info.march_requested}, {"march_resolved", info.march_resolved},
                          {"build_host_cpu", info.build_host_cpu}};
    tar.add("isa.json", isa.dump(1) + "\n");
    tar.finish();
}

void write_base_probe_context(const std::string& base_image,
                              const std::function<void(const char* data, std::size_t size)>& sink) {
    render::TarWriter tar(sink);
    tar.add("Dockerfile", "FROM " + base_image + "\n");
    tar.finish();
}

}  // namespace pymatrix
