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

namespace {

/// The build context of `b` with `more` appended to its Dockerfile and `extra` files added.
void write_extended_context(const Build& b, const std::string& more, const std::vector<ContextFile>& extra,
                           const std::function<void(const char*, std::size_t)>& sink) {
    if (!b.python.is_packaged() && b.python.source_path.empty())
        throw Error(fmt::format("{}: source '{}' is a URL; fetch it first", b.name, b.python.source));
    render::TarWriter tar(sink);
    for (auto& f : render_context_files(b)) tar.add(f.path, f.path == "Dockerfile" ? f.content + more : f.content, f.mode);
    for (auto& f : extra) tar.add(f.path, f.content, f.mode);
    if (!b.python.is_packaged()) tar.add_file(context_source_name(b), b.python.source_path, b.python.sha256);
    tar.finish();
}

}  // namespace

void write_build_context(const Build& b, const std::function<void(const char*, std::size_t)>& sink) {
    write_extended_context(b, "", {}, sink);
}

void write_build_info_context(const Build& b, const std::function<void(const char*, std::size_t)>& sink) {
    write_extended_context(b,
                           fmt::format("\n# --- pymatrix: build-info.json alone, read back through a local output\n"
                                       "FROM scratch AS {}\nCOPY --from=runtime {} /build-info.json\n",
                                       build_info_stage, build_info_path),
                           {}, sink);
}

void write_labelled_context(const Build& b, const BuildInfo& info, const std::function<void(const char*, std::size_t)>& sink) {
    std::vector<std::string> features(info.features.begin(), info.features.end());
    nlohmann::json isa = {{"arch", info.arch}, {"level", info.level}, {"features", features},
                          {"march_requested", info.march_requested}, {"march_resolved", info.march_resolved},
                          {"build_host_cpu", info.build_host_cpu}};
    write_extended_context(b,
                           "\n# --- pymatrix: the ISA record the launcher checks at every start; labels come with the build\n"
                           "FROM runtime AS pymatrix-labelled\n"
                           "COPY pymatrix/isa-features pymatrix/isa.json /usr/local/share/pymatrix/\n",
                           {{"pymatrix/isa-features", util::join(features, " ") + "\n", 0644},
                            {"pymatrix/isa.json", isa.dump(1) + "\n", 0644}},
                           sink);
}

void write_base_probe_context(const std::string& base_image,
                              const std::function<void(const char* data, std::size_t size)>& sink) {
    render::TarWriter tar(sink);
    tar.add("Dockerfile", "FROM " + base_image + "\n");
    tar.finish();
}

}  // namespace pymatrix
