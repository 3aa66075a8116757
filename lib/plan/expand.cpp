// Matrix expansion (GitHub-Actions include/exclude semantics), configure argv, config hash, tags.
#include "pymatrix/plan.hpp"
#include "pymatrix/hash.hpp"
#include "pymatrix/cpython.hpp"
#include "pymatrix/tags.hpp"
#include "pymatrix/templates.hpp"
#include "util/text.hpp"
#include "flags.hpp"
#include "packaged.hpp"

#include <algorithm>
#include <fmt/format.h>

#include <set>

namespace pymatrix {
namespace {

using Combo = std::map<std::string, std::string>;

bool matches(const Combo& combo, const Combo& entry, const std::set<std::string>* only_keys = nullptr) {
    for (auto& [k, v] : entry) {
        if (only_keys && !only_keys->count(k)) continue;
        auto it = combo.find(k);
        if (it == combo.end() || it->second != v) return false;
    }
    return true;
}

void apply_override(ProfileSettings& s, const std::string& key, const std::string& v) {
    if (key == "pgo") s.pgo = v == "true";
    else if (key == "bolt") s.bolt = v == "true";
    else if (key == "lto") s.lto = v == "true" ? "yes" : (v == "false" || v == "no") ? "" : v;
    else if (key == "jit") s.jit = v == "true" ? "yes" : (v == "false" || v == "no") ? "" : v;
    else if (key == "cflags") s.cflags = v;
    else if (key == "cflags_nodist") s.cflags_nodist = v;
    else if (key == "ldflags") s.ldflags = v;
    else if (key == "ldflags_nodist") s.ldflags_nodist = v;
    else if (key == "march") s.march = v;
    else if (key == "profile_task") s.profile_task = v;
    else if (key == "pgo_workload") s.pgo_workload = v, s.pgo_workload_files.reset();  // a bundled one
    else if (key == "base_image") s.base_image = v;
    else if (key == "keep_cflags") s.keep_cflags = v == "true";
    else if (key == "compiler") s.compiler = v;
}

/// The CC= a `compiler` setting puts on configure's argv: none for the default gcc.
bool names_clang(const ProfileSettings& s) { return !s.compiler.empty() && s.compiler != "gcc"; }

std::string name_segment(const std::string& axis, const std::string& value) {
    if (value == "true") return axis;
    if (value == "false") return "no-" + axis;
    return value;
}

nlohmann::json settings_json(const ProfileSettings& s) {
    nlohmann::json j = {{"configure", s.configure}, {"pgo", s.pgo}, {"lto", s.lto}, {"bolt", s.bolt},
                        {"jit", s.jit}, {"cflags", s.cflags}, {"cflags_nodist", s.cflags_nodist},
                        {"ldflags", s.ldflags}, {"ldflags_nodist", s.ldflags_nodist}, {"march", s.march},
                        {"base_image", s.base_image}, {"build_packages", s.build_packages},
                        {"keep_cflags", s.keep_cflags}};
    j["profile_task"] = s.profile_task ? nlohmann::json(*s.profile_task) : nlohmann::json(nullptr);
    // only when it is not the default: "gcc" and no compiler key build the same, as every
    // build did before the key existed (their hashes stay)
    if (names_clang(s)) j["compiler"] = s.compiler;
    if (!s.pgo_workload.empty()) j["pgo_workload"] = s.pgo_workload;  // likewise: only when given
    return j;
}

/// Completes a source build `b` (python, profile, settings and axes set): checks that compiler
/// and pgo_workload settings agree with the rest, places the flags, and sets configure_args,
/// base_image, build_packages, the rules table's toolchain and the config hash (expand()).
/// Throws ConfigError as expand() documents.
void plan_source_build(Build& b, const Defaults& defaults) {
    if (!b.settings.compiler.empty())
        for (const auto& o : b.settings.configure)
            if (o.rfind("CC=", 0) == 0) {
                auto it = b.settings.origin.find("compiler");
                throw ConfigError(it == b.settings.origin.end() ? b.where : it->second,
                                  "profiles." + b.profile + ".compiler",
                                  fmt::format("compiler = \"{}\" and '{}' in configure both choose the C "
                                              "compiler: keep one",
                                              b.settings.compiler, o));
            }
    if (!b.settings.pgo_workload.empty()) {
        auto at = [&](const char* key) {
            auto it = b.settings.origin.find(key);
            return it == b.settings.origin.end() ? b.where : it->second;
        };
        if (!b.settings.pgo)
            throw ConfigError(at("pgo_workload"), "profiles." + b.profile + ".pgo_workload",
                              fmt::format("pgo_workload = \"{}\" trains PGO, and this build has pgo = false: set "
                                          "pgo = true (--enable-optimizations)", b.settings.pgo_workload));
        if (b.settings.profile_task)
            throw ConfigError(at("pgo_workload"), "profiles." + b.profile + ".pgo_workload",
                              "pgo_workload and profile_task both set the PGO training run (PROFILE_TASK): keep one");
    }
    place_flags(b.settings, b.notes, b.warnings);
    b.configure_args = configure_arguments(b.settings);
    b.base_image = b.settings.base_image.empty() ? defaults.base_image : b.settings.base_image;
    b.build_packages = b.settings.build_packages;
    // What the rules table says the builder needs (tool packages, LLVM_BOLT=...): part of
    // CONFIG_ARGS and the hash; a build that needs nothing keeps its argv and hash.
    BuilderToolchain toolchain;
    try {
        toolchain = builder_toolchain(b.python.version, b.configure_args, b.base_image, b.build_packages);
    } catch (const ConfigError& e) {
        throw ConfigError(b.python.where, "pythons." + b.python.key + ".version", e.reason());
    }
    b.configure_args.insert(b.configure_args.end(), toolchain.assignments.begin(), toolchain.assignments.end());
    b.toolchain_packages = toolchain.packages;
    for (auto& n : toolchain.notes) b.warnings.push_back(n);
    nlohmann::json canon = {{"source_sha256", b.python.sha256}, {"python_version", b.python.version},
                            {"base_image", b.base_image}, {"profile", settings_json(b.settings)},
                            {"configure_args", b.configure_args}, {"template", template_version()}};
    if (!b.toolchain_packages.empty()) canon["toolchain_packages"] = b.toolchain_packages;
    if (const PgoWorkload* w = pgo_workload_of(b.settings))  // its files, byte for byte
        canon["pgo_workload_sha256"] = w->sha256;
    b.config_hash = sha256_hex(canon.dump());
}

}  // namespace

std::vector<std::string> configure_arguments(const ProfileSettings& s) {
    std::vector<std::string> a = {"--enable-option-checking=fatal"};
    if (s.pgo) a.push_back("--enable-optimizations");
    if (!s.lto.empty()) a.push_back(s.lto == "yes" ? "--with-lto" : "--with-lto=" + s.lto);
    if (s.bolt) a.push_back("--enable-bolt");
    if (!s.jit.empty()) a.push_back(s.jit == "yes" ? "--enable-experimental-jit" : "--enable-experimental-jit=" + s.jit);
    if (names_clang(s)) a.push_back("CC=" + s.compiler);
    for (auto& o : s.configure) a.push_back(o);
    std::string nodist = cflags_nodist_with_march(s);
    if (!s.cflags.empty()) a.push_back("CFLAGS=" + s.cflags);
    if (!nodist.empty()) a.push_back("CFLAGS_NODIST=" + nodist);
    if (!s.ldflags.empty()) a.push_back("LDFLAGS=" + s.ldflags);
    if (!s.ldflags_nodist.empty()) a.push_back("LDFLAGS_NODIST=" + s.ldflags_nodist);
    if (s.profile_task) a.push_back("PROFILE_TASK=" + *s.profile_task);
    if (const PgoWorkload* w = pgo_workload_of(s)) {
        std::string task = std::string(pgo_workload_mount) + "/pgo_train.py " + pgo_workload_stamp + " " +
                           pgo_workload_mount + "/" + w->file;
        for (const auto& arg : w->args) task += " " + arg;
        a.push_back("PROFILE_TASK=" + task);
    }
    return a;
}

std::vector<Build> expand(const MatrixFile& file) {
    const MatrixSpec& m = file.matrix;
    std::set<std::string> axis_keys;
    std::vector<std::string> axis_order;
    for (auto& [k, _] : m.axes) {
        axis_keys.insert(k);
        axis_order.push_back(k);
    }
    // 0. refuse a matrix that would be too big, before allocating it (checked multiplication)
    {
        std::size_t product = m.axes.empty() ? 0 : 1;
        bool over = false;
        double shown = m.axes.empty() ? 0 : 1;  // for the message only: exact up to 2^53
        std::string sizes;
        for (auto& [axis, values] : m.axes) {
            shown *= static_cast<double>(values.size());
            sizes += fmt::format("{}{} {}", sizes.empty() ? "" : " x ", values.size(), axis);
            if (values.empty()) product = 0, over = false;  // an empty axis empties the product
            if (product == 0) continue;
            if (product > max_builds / values.size()) over = true;
            else product *= values.size();
        }
        if (over || product + m.include.size() > max_builds)
            throw ConfigError(m.where, "matrix",
                              fmt::format("the matrix expands to {} combinations ({}{}): more than the {} builds "
                                          "pymatrix accepts in one file; split the matrix or narrow its axes",
                                          fmt::format("{:.0f}", shown),
                                          sizes, m.include.empty() ? "" : fmt::format(", plus {} include entries", m.include.size()),
                                          max_builds));
    }
    // 1. cartesian product, 2. exclude (partial match on the entry's keys)
    std::vector<Combo> combos;
    std::vector<SourcePosition> wheres;
    if (!m.axes.empty()) {
        combos.push_back({});
        for (auto& [axis, values] : m.axes) {
            std::vector<Combo> next;
            for (auto& c : combos)
                for (auto& v : values) {
                    Combo n = c;
                    n[axis] = v;
                    next.push_back(std::move(n));
                }
            combos = std::move(next);
        }
        std::erase_if(combos, [&](const Combo& c) {
            for (auto& e : m.exclude)
                if (matches(c, e)) return true;
            return false;
        });
        wheres.assign(combos.size(), m.where);
    }
    // 3. include: extend matching original combinations, or add a new one
    std::size_t originals = combos.size();
    for (std::size_t i = 0; i < m.include.size(); ++i) {
        const Combo& e = m.include[i];
        bool added = false;
        for (std::size_t c = 0; c < originals; ++c) {
            if (!matches(combos[c], e, &axis_keys)) continue;
            for (auto& [k, v] : e)
                if (!axis_keys.count(k)) combos[c][k] = v;
            added = true;
        }
        if (added) continue;
        if (!e.count("python") || !e.count("profile"))
            throw ConfigError(m.include_where[i], fmt::format("matrix.include[{}]", i),
                              "this entry matches no combination and lacks 'python' or 'profile' to form a new one");
        combos.push_back(e);
        wheres.push_back(m.include_where[i]);
    }

    std::vector<Build> builds;
    builds.reserve(combos.size());
    std::map<std::string, std::size_t> by_name, by_tag;
    for (std::size_t i = 0; i < combos.size(); ++i) {
        const Combo& c = combos[i];
        for (const char* axis : {"python", "profile"})
            if (!c.count(axis)) {
                std::string shown;
                for (auto& [k, v] : c) shown += (shown.empty() ? "" : ", ") + k + "=" + v;
                throw ConfigError(wheres[i], "matrix",
                                  fmt::format("the combination {{{}}} has no {}: give a '{}' axis, or an include entry "
                                              "that sets it", shown, axis, axis));
            }
        Build b;
        b.where = wheres[i];
        b.axes = c;
        b.profile = c.at("profile");
        b.python = file.pythons.at(c.at("python"));
        b.settings = file.profiles.at(b.profile).settings;
        b.name = c.at("python") + "-" + b.profile;
        std::string tag_base = b.python.version + "-" + b.profile;
        std::vector<std::string> extra_keys;
        for (auto& k : axis_order)
            if (k != "python" && k != "profile" && c.count(k)) extra_keys.push_back(k);
        for (auto& k : extra_keys) {  // declared axes name the build; keys added by include do not
            b.name += "-" + name_segment(k, c.at(k));
            tag_base += "-" + name_segment(k, c.at(k));
        }
        for (auto& [k, v] : c)
            if (k != "python" && k != "profile") apply_override(b.settings, k, v);
        b.repository = file.defaults.repository;
        if (b.python.is_packaged()) {
            plan_packaged(b, file.defaults.base_image);
            tag_base = b.python.key + tag_base.substr(b.python.version.size());  // "3.13-debian-<profile>"
        } else {
            plan_source_build(b, file.defaults);
        }
        std::string hash_suffix = "-" + b.config_hash.substr(0, 12);
        for (const std::string& wanted : {tag_base, tag_base + hash_suffix}) {
            SanitizedTag t = sanitize_tag(wanted, hash_suffix);
            for (auto& ch : t.changes) b.notes.push_back(fmt::format("tag '{}' -> '{}': {}", wanted, t.tag, ch));
            b.tags.push_back(b.repository + ":" + t.tag);
        }
        if (b.settings.march == "native" || b.settings.cflags.find("-march=native") != std::string::npos ||
            b.settings.cflags_nodist.find("-march=native") != std::string::npos)
            b.warnings.push_back("march=native: the image will only run on CPUs with every ISA feature of the build "
                                 "host; its labels record them so `pymatrix check` can gate deployment");
        if (auto it = by_name.find(b.name); it != by_name.end())
            throw ConfigError(b.where, "matrix",
                              fmt::format("two builds are named '{}' (python '{}' x profile '{}'); build names must be "
                                          "unique", b.name, c.at("python"), b.profile));
        for (auto& t : b.tags)
            if (auto it = by_tag.find(t); it != by_tag.end())
                throw ConfigError(b.where, "matrix",
                                  fmt::format("builds '{}' and '{}' would both be tagged '{}'", builds[it->second].name,
                                              b.name, t));
        by_name[b.name] = builds.size();
        for (auto& t : b.tags) by_tag[t] = builds.size();
        builds.push_back(std::move(b));
    }
    return builds;
}

nlohmann::json python_json(const Python& p) {
    if (p.is_packaged())
        return {{"key", p.key}, {"version", p.version}, {"package", p.package}, {"packages", p.packages},
                {"base_image", p.base_image}};
    return {{"key", p.key}, {"version", p.version}, {"source", p.source}, {"sha256", p.sha256}};
}

nlohmann::json build_to_json(const Build& b) {
    std::string nodist = cflags_nodist_with_march(b.settings);
    return {{"name", b.name},
            {"python", python_json(b.python)},
            {"profile", b.profile},
            {"axes", b.axes},
            {"configure_args", b.configure_args},
            {"cflags", b.settings.cflags},
            {"cflags_nodist", nodist},
            {"ldflags", b.settings.ldflags},
            {"ldflags_nodist", b.settings.ldflags_nodist},
            {"march", b.settings.march},
            {"base_image", b.base_image},
            {"build_packages", b.build_packages},
            {"toolchain_packages", b.toolchain_packages},
            {"repository", b.repository},
            {"tags", b.tags},
            {"config_hash", b.config_hash},
            {"notes", b.notes},
            {"warnings", b.warnings}};
}

nlohmann::json plan_to_json(const MatrixFile& file, const std::vector<Build>& builds) {
    nlohmann::json j = {{"file", file.path.string()}, {"template_version", template_version()},
                        {"builds", nlohmann::json::array()}};
    for (auto& b : builds) j["builds"].push_back(build_to_json(b));
    return j;
}

}  // namespace pymatrix
