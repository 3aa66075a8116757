// Loading a matrix file with toml++: every table is checked for unknown keys, every value for
// its type and shape, and every error names file:line:column and the dotted key.
#include "pymatrix/profile.hpp"
#include "pymatrix/templates.hpp"
#include "pymatrix/tags.hpp"
#include "validate.hpp"
#include "pgo_workload_dir.hpp"
#include "util/text.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace pymatrix {
namespace {

const std::vector<std::string> kTopKeys = {"defaults", "pythons", "profiles", "matrix"};
const std::vector<std::string> kDefaultsKeys = {"repository", "base_image", "network"};
const std::vector<std::string> kPythonKeys = {"version", "source", "sha256", "package", "packages", "base_image"};
const std::vector<std::string> kSettingKeys = {
    "configure", "pgo", "lto", "bolt", "jit", "cflags", "cflags_nodist", "ldflags",
    "ldflags_nodist", "march", "profile_task", "pgo_workload", "keep_cflags", "base_image", "build_packages", "compiler"};

struct Loader {
    std::string file;
    std::filesystem::path base;  ///< the TOML file's directory: relative paths start here

    SourcePosition pos(const toml::source_region& r) const {
        return SourcePosition{file, static_cast<unsigned>(r.begin.line), static_cast<unsigned>(r.begin.column)};
    }
    [[noreturn]] void fail(const toml::source_region& r, const std::string& key, const std::string& msg) const {
        throw ConfigError(pos(r), key, msg);
    }

    static std::string type_name(const toml::node& n) {
        switch (n.type()) {
            case toml::node_type::string: return "a string";
            case toml::node_type::integer: return "an integer";
            case toml::node_type::floating_point: return "a float";
            case toml::node_type::boolean: return "a boolean";
            case toml::node_type::array: return "an array";
            case toml::node_type::table: return "a table";
            default: return "a date/time";
        }
    }

    void check_keys(const toml::table& t, const std::string& prefix, const std::vector<std::string>& allowed) const {
        for (auto&& [k, v] : t) {
            std::string key(k.str());
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            std::string hint = util::closest(key, allowed);
            fail(k.source(), prefix + key,
                 hint.empty() ? fmt::format("unknown key (allowed: {})", util::join(allowed, ", "))
                              : fmt::format("unknown key; did you mean '{}'?", hint));
        }
    }

    const toml::table& table_at(const toml::node& n, const std::string& key) const {
        if (!n.is_table()) fail(n.source(), key, fmt::format("expected a table, got {}", type_name(n)));
        return *n.as_table();
    }

    std::string string_at(const toml::node& n, const std::string& key, std::size_t max = 4096) const {
        if (!n.is_string()) fail(n.source(), key, fmt::format("expected a string, got {}", type_name(n)));
        std::string s = n.as_string()->get();
        if (auto p = util::value_problem(s, max); !p.empty()) fail(n.source(), key, p);
        return s;
    }

    bool bool_at(const toml::node& n, const std::string& key) const {
        if (!n.is_boolean()) fail(n.source(), key, fmt::format("expected a boolean (true or false), got {}", type_name(n)));
        return n.as_boolean()->get();
    }

    std::vector<std::string> strings_at(const toml::node& n, const std::string& key) const {
        if (!n.is_array()) fail(n.source(), key, fmt::format("expected an array of strings, got {}", type_name(n)));
        std::vector<std::string> out;
        std::size_t i = 0;
        for (auto&& e : *n.as_array()) out.push_back(string_at(e, fmt::format("{}[{}]", key, i++)));
        return out;
    }

    /// A scalar given where an axis or include value is expected, as a string.
    std::string scalar_at(const toml::node& n, const std::string& key) const {
        if (n.is_string()) return string_at(n, key);
        if (n.is_boolean()) return n.as_boolean()->get() ? "true" : "false";
        if (n.is_integer()) return std::to_string(n.as_integer()->get());
        fail(n.source(), key, fmt::format("expected a string or boolean, got {}", type_name(n)));
    }

    /// Applies one setting key to `s`, checking type and value.
    void apply_setting(ProfileSettings& s, const std::string& k, const toml::node& v, const std::string& key) const {
        auto check = [&](const std::string& problem) {
            if (!problem.empty()) fail(v.source(), key, problem);
        };
        s.origin[k] = pos(v.source());
        if (k == "configure") {
            for (auto& opt : strings_at(v, key)) {
                check(configure_option_problem(opt));
                check(configure_value_problem(opt));
                s.configure.push_back(opt);
            }
        } else if (k == "build_packages") {
            for (auto& p : strings_at(v, key)) {
                check(package_problem(p));
                s.build_packages.push_back(p);
            }
        } else if (k == "pgo") {
            s.pgo = bool_at(v, key);
        } else if (k == "bolt") {
            s.bolt = bool_at(v, key);
        } else if (k == "keep_cflags") {
            s.keep_cflags = bool_at(v, key);
        } else if (k == "lto" || k == "jit") {
            std::string val;
            if (v.is_boolean()) val = v.as_boolean()->get() ? "yes" : "";
            else if (v.is_string()) val = string_at(v, key);
            else fail(v.source(), key, fmt::format("expected a boolean or a string, got {}", type_name(v)));
            check(k == "lto" ? lto_problem(val) : jit_problem(val));
            (k == "lto" ? s.lto : s.jit) = (val == "no" ? "" : val);
        } else if (k == "profile_task") {
            s.profile_task = string_at(v, key);
            check(shell_word_problem(*s.profile_task));
            if (s.profile_task->find_first_not_of(" \t") == std::string::npos)
                fail(v.source(), key, "an empty profile_task silently disables PGO (the training run would run nothing); "
                                      "remove the key to use CPython's default");
        } else if (k == "pgo_workload" && v.is_table()) {
            load_pgo_workload_dir(s, *v.as_table(), key);
        } else if (k == "pgo_workload") {
            s.pgo_workload = string_at(v, key);
            s.pgo_workload_files.reset();
            if (!find_pgo_workload(s.pgo_workload)) {
                std::vector<std::string> names;
                for (const auto& w : pgo_workloads()) names.push_back(w.name);
                fail(v.source(), key, fmt::format("unknown workload '{}': the bundled ones are {}, or give your own "
                                                  "as {{ dir = \"DIR\", script = \"FILE\" }}",
                                                  s.pgo_workload, util::join(names, ", ")));
            }
        } else if (k == "march") {
            s.march = string_at(v, key);
            check(march_problem(s.march));
        } else if (k == "compiler") {
            s.compiler = string_at(v, key);
            check(compiler_problem(s.compiler));
        } else if (k == "base_image") {
            s.base_image = string_at(v, key);
            check(image_reference_problem(s.base_image));
        } else {
            std::string val = string_at(v, key);
            check(shell_word_problem(val));
            if (k == "cflags") s.cflags = val;
            else if (k == "cflags_nodist") s.cflags_nodist = val;
            else if (k == "ldflags") s.ldflags = val;
            else if (k == "ldflags_nodist") s.ldflags_nodist = val;
        }
    }

    /// `pgo_workload = { dir = "DIR", script = "FILE", args = ["..."] }`: DIR's files, read now.
    void load_pgo_workload_dir(ProfileSettings& s, const toml::table& t, const std::string& key) const {
        check_keys(t, key + ".", {"dir", "script", "args"});
        for (const char* required : {"dir", "script"})
            if (!t.get(required)) fail(t.source(), key + "." + required, "missing required key");
        const std::string dir = string_at(*t.get("dir"), key + ".dir", 255);
        const std::string script = string_at(*t.get("script"), key + ".script", 255);
        std::vector<std::string> args;
        if (auto n = t.get("args")) {
            args = strings_at(*n, key + ".args");
            for (const auto& a : args)  // PROFILE_TASK reaches make's shell, as profile_task does
                if (auto p = shell_word_problem(a); !p.empty()) fail(n->source(), key + ".args", p);
        }
        try {
            s.pgo_workload_files = std::make_shared<const PgoWorkload>(read_pgo_workload_dir(base, dir, script, args));
        } catch (const WorkloadDirProblem& e) {
            fail(t.get(e.key)->source(), key + "." + e.key, e.what());
        }
        s.pgo_workload = s.pgo_workload_files->name;
    }

    void load_defaults(const toml::table& t, Defaults& d) const {
        check_keys(t, "defaults.", kDefaultsKeys);
        if (auto n = t.get("repository")) {
            d.repository = string_at(*n, "defaults.repository", 255);
            d.repository_where = pos(n->source());
            if (auto p = repository_problem(d.repository); !p.empty()) fail(n->source(), "defaults.repository", p);
        }
        if (auto n = t.get("base_image")) {
            d.base_image = string_at(*n, "defaults.base_image", 255);
            d.base_image_where = pos(n->source());
            if (auto p = image_reference_problem(d.base_image); !p.empty()) fail(n->source(), "defaults.base_image", p);
        }
        if (auto n = t.get("network")) {
            d.network = string_at(*n, "defaults.network", 16);
            d.network_where = pos(n->source());
            if (auto p = network_problem(d.network); !p.empty()) fail(n->source(), "defaults.network", p);
        }
    }

    void load_python(const std::string& name, const toml::table& t, const std::filesystem::path& base, Python& py) const {
        std::string prefix = "pythons." + name + ".";
        check_keys(t, prefix, kPythonKeys);
        py.key = name;
        py.where = pos(t.source());
        if (auto p = name_problem(name); !p.empty()) fail(t.source(), "pythons." + name, p);
        for (auto&& [k, v] : t) py.key_where[std::string(k.str())] = pos(v.source());
        if (t.get("package")) return load_packaged_python(t, prefix, py);
        for (const char* packaged_only : {"packages", "base_image"})
            if (auto n = t.get(packaged_only))
                fail(n->source(), prefix + packaged_only,
                     "only a packaged python (package = \"python3.X\") takes this key; a source build's base "
                     "image and packages are profile settings (base_image, build_packages)");
        for (const char* required : {"version", "source", "sha256"})
            if (!t.get(required)) fail(t.source(), prefix + required, "missing required key (or give package = \"python3.X\")");
        const toml::node& ver = *t.get("version");
        py.version = string_at(ver, prefix + "version");
        if (auto p = version_problem(py.version); !p.empty()) fail(ver.source(), prefix + "version", p);
        const toml::node& src = *t.get("source");
        py.source = string_at(src, prefix + "source");
        if (auto p = source_problem(py.source); !p.empty()) fail(src.source(), prefix + "source", p);
        if (py.source.rfind("file://", 0) == 0) py.source_path = py.source.substr(7);
        else if (py.source.find("://") == std::string::npos)
            py.source_path = std::filesystem::absolute(base / py.source).lexically_normal();
        const toml::node& sha = *t.get("sha256");
        py.sha256 = string_at(sha, prefix + "sha256");
        if (auto p = sha256_problem(py.sha256); !p.empty()) fail(sha.source(), prefix + "sha256", p);
    }

    /// `package = "python3.X"`: a distribution's interpreter; a source's keys make no sense beside it.
    void load_packaged_python(const toml::table& t, const std::string& prefix, Python& py) const {
        for (const char* source_only : {"version", "source", "sha256"})
            if (auto n = t.get(source_only))
                fail(n->source(), prefix + source_only,
                     fmt::format("a packaged python (package = ...) is installed as its distribution built it: "
                                 "'{}' belongs to a source build; remove it (the installed version is read back "
                                 "from the interpreter and labelled)",
                                 source_only));
        const toml::node& pkg = *t.get("package");
        py.package = string_at(pkg, prefix + "package", 64);
        if (auto p = packaged_python_problem(py.package); !p.empty()) fail(pkg.source(), prefix + "package", p);
        py.version = py.package.substr(std::string("python").size());
        if (auto n = t.get("packages"))
            for (auto& p : strings_at(*n, prefix + "packages")) {
                if (auto problem = package_problem(p); !problem.empty()) fail(n->source(), prefix + "packages", problem);
                py.packages.push_back(p);
            }
        if (auto n = t.get("base_image")) {
            py.base_image = string_at(*n, prefix + "base_image", 255);
            if (auto p = image_reference_problem(py.base_image); !p.empty()) fail(n->source(), prefix + "base_image", p);
        }
    }

    void load_profile(const std::string& name, const toml::table& t, Profile& pr) const {
        std::string prefix = "profiles." + name + ".";
        std::vector<std::string> allowed = kSettingKeys;
        allowed.push_back("extends");
        allowed.push_back("description");
        check_keys(t, prefix, allowed);
        pr.name = name;
        pr.where = pos(t.source());
        if (auto p = name_problem(name); !p.empty()) fail(t.source(), "profiles." + name, p);
        for (auto&& [k, v] : t) {
            std::string key(k.str());
            if (key == "extends") pr.extends = string_at(v, prefix + key);
            else if (key == "description") pr.description = string_at(v, prefix + key);
        }
    }

    /// Applies the settings of `name` and its parents (parents first) into `out`.
    void resolve(const toml::table& profiles, const std::map<std::string, Profile>& model, const std::string& name,
                 std::vector<std::string>& chain, ProfileSettings& out) const {
        const Profile& p = model.at(name);
        if (std::find(chain.begin(), chain.end(), name) != chain.end()) {
            chain.push_back(name);
            const toml::node* ext = profiles.get(chain.front())->as_table()->get("extends");
            fail(ext->source(), "profiles." + chain.front() + ".extends",
                 "extends cycle: " + util::join(chain, " -> "));
        }
        chain.push_back(name);
        const toml::table& t = *profiles.get(name)->as_table();
        if (!p.extends.empty()) {
            if (!model.count(p.extends)) {
                std::vector<std::string> names;
                for (auto& [n, _] : model) names.push_back(n);
                std::string hint = util::closest(p.extends, names);
                fail(t.get("extends")->source(), "profiles." + name + ".extends",
                     fmt::format("unknown profile '{}'{}", p.extends, hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            }
            resolve(profiles, model, p.extends, chain, out);
        }
        for (auto&& [k, v] : t) {
            std::string key(k.str());
            if (key == "extends" || key == "description") continue;
            apply_setting(out, key, v, "profiles." + name + "." + key);
        }
    }

    void load_matrix(const toml::table& t, MatrixFile& f) const {
        MatrixSpec& m = f.matrix;
        m.where = pos(t.source());
        std::vector<std::string> allowed = {"python", "profile", "include", "exclude"};
        for (auto& k : kSettingKeys)
            if (k != "configure" && k != "build_packages") allowed.push_back(k);
        check_keys(t, "matrix.", allowed);
        auto check_ref = [&](const std::string& axis, const std::string& value, const toml::node& n, const std::string& key) {
            std::vector<std::string> names;
            if (axis == "python") for (auto& [k, _] : f.pythons) names.push_back(k);
            else if (axis == "profile") for (auto& [k, _] : f.profiles) names.push_back(k);
            else {
                ProfileSettings scratch;  // validates an override value through the same rules
                if (n.is_string() || n.is_boolean()) apply_setting(scratch, axis, n, key);
                return;
            }
            if (std::find(names.begin(), names.end(), value) != names.end()) return;
            std::string hint = util::closest(value, names);
            fail(n.source(), key,
                 fmt::format("unknown {} '{}'{}", axis, value,
                             hint.empty() ? fmt::format(" (declared: {})", util::join(names, ", "))
                                          : "; did you mean '" + hint + "'?"));
        };
        auto axis_order = std::vector<std::string>{"python", "profile"};
        for (auto&& [k, v] : t)
            if (k.str() != "python" && k.str() != "profile" && k.str() != "include" && k.str() != "exclude")
                axis_order.emplace_back(k.str());
        for (auto& axis : axis_order) {
            const toml::node* n = t.get(axis);
            if (!n) continue;
            std::string key = "matrix." + axis;
            if (!n->is_array() || n->as_array()->empty())
                fail(n->source(), key, "expected a non-empty array of values");
            std::vector<std::string> values;
            std::size_t i = 0;
            for (auto&& e : *n->as_array()) {
                std::string ek = fmt::format("{}[{}]", key, i++);
                std::string v = scalar_at(e, ek);
                check_ref(axis, v, e, ek);
                values.push_back(v);
            }
            m.axes.emplace_back(axis, values);
        }
        for (const char* which : {"include", "exclude"}) {
            const toml::node* n = t.get(which);
            if (!n) continue;
            std::string key = std::string("matrix.") + which;
            if (!n->is_array()) fail(n->source(), key, "expected an array of tables");
            std::size_t i = 0;
            for (auto&& e : *n->as_array()) {
                std::string ek = fmt::format("{}[{}]", key, i++);
                const toml::table& et = table_at(e, ek);
                check_keys(et, ek + ".", allowed);
                std::map<std::string, std::string> entry;
                for (auto&& [k, v] : et) {
                    std::string ak(k.str());
                    if (ak == "include" || ak == "exclude") fail(k.source(), ek + "." + ak, "not allowed here");
                    std::string val = scalar_at(v, ek + "." + ak);
                    check_ref(ak, val, v, ek + "." + ak);
                    entry[ak] = val;
                }
                if (entry.empty()) fail(e.source(), ek, "empty entry");
                if (std::string(which) == "include") {
                    m.include.push_back(entry);
                    m.include_where.push_back(pos(e.source()));
                } else {
                    m.exclude.push_back(entry);
                }
            }
        }
        bool has_python = false, has_profile = false;
        for (auto& [a, _] : m.axes) {
            has_python |= a == "python";
            has_profile |= a == "profile";
        }
        if ((!has_python || !has_profile) && m.include.empty())
            fail(t.source(), has_python ? "matrix.profile" : "matrix.python", "missing required axis");
    }

    MatrixFile load(const toml::table& root, const std::filesystem::path& path) const {
        MatrixFile f;
        f.path = path;
        check_keys(root, "", kTopKeys);
        if (auto n = root.get("defaults")) load_defaults(table_at(*n, "defaults"), f.defaults);
        const toml::node* pys = root.get("pythons");
        if (!pys) throw ConfigError({file, 1, 1}, "pythons", "missing required table [pythons.<name>]");
        for (auto&& [k, v] : table_at(*pys, "pythons"))
            load_python(std::string(k.str()), table_at(v, "pythons." + std::string(k.str())), path.parent_path(),
                        f.pythons[std::string(k.str())]);
        const toml::node* prs = root.get("profiles");
        if (!prs) throw ConfigError({file, 1, 1}, "profiles", "missing required table [profiles.<name>]");
        const toml::table& prt = table_at(*prs, "profiles");
        for (auto&& [k, v] : prt)
            load_profile(std::string(k.str()), table_at(v, "profiles." + std::string(k.str())), f.profiles[std::string(k.str())]);
        for (auto& [name, p] : f.profiles) {
            std::vector<std::string> chain;
            resolve(prt, f.profiles, name, chain, p.settings);
        }
        const toml::node* mx = root.get("matrix");
        if (!mx) throw ConfigError({file, 1, 1}, "matrix", "missing required table [matrix]");
        load_matrix(table_at(*mx, "matrix"), f);
        return f;
    }
};

MatrixFile parse_and_load(const std::string& text, const std::string& display, const std::filesystem::path& path) {
    Loader loader{display, path.parent_path()};
    toml::table root;
    try {
        root = toml::parse(text, display);
    } catch (const toml::parse_error& e) {
        throw ConfigError(loader.pos(e.source()), "", fmt::format("TOML syntax error: {}", e.description()));
    }
    return loader.load(root, path);
}

}  // namespace

const std::vector<std::string>& profile_setting_keys() { return kSettingKeys; }

const PgoWorkload* pgo_workload_of(const ProfileSettings& settings) {
    if (settings.pgo_workload_files) return settings.pgo_workload_files.get();
    return find_pgo_workload(settings.pgo_workload);
}

MatrixFile load_matrix_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ConfigError({path.string(), 0, 0}, "", "cannot read the file: it is a directory");
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError({path.string(), 0, 0}, "",
                          fmt::format("cannot read the file: {}", errno ? std::strerror(errno) : "open failed"));
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_and_load(ss.str(), path.string(), std::filesystem::absolute(path).lexically_normal());
}

MatrixFile load_matrix_string(const std::string& toml_text, const std::filesystem::path& display_path) {
    return parse_and_load(toml_text, display_path.string(), std::filesystem::absolute(display_path).lexically_normal());
}

}  // namespace pymatrix
