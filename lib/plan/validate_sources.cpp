// plan/validate_sources.cpp: checking each planned Build against the facts of its own source
// tarball (pymatrix/cpython.hpp). validate_builds_against_sources() throws ConfigError.
#include "pymatrix/cpython.hpp"
#include "pymatrix/plan.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <regex>

namespace pymatrix {
namespace {

// Where a profile setting was written (the matrix position when it is not known).
SourcePosition where_of(const Build& b, const std::string& setting) {
    auto it = b.settings.origin.find(setting);
    return it == b.settings.origin.end() ? b.where : it->second;
}

// The profile setting a configure argument came from, for the ConfigError key.
std::string setting_of(const Build& b, const std::string& arg) {
    const auto& mine = b.settings.configure;
    if (std::find(mine.begin(), mine.end(), arg) != mine.end()) return "configure";
    if (arg.rfind("CC=", 0) == 0) return "compiler";  // not in `configure`: the compiler key's
    static const std::map<std::string, std::string> from_setting = {
        {"--enable-optimizations", "pgo"},
        {"--with-lto", "lto"},
        {"--enable-bolt", "bolt"},
        {"--enable-experimental-jit", "jit"},
    };
    auto it = from_setting.find(option_name(arg));
    return it == from_setting.end() ? "configure" : it->second;
}

}  // namespace

void validate_builds_against_sources(const std::vector<Build>& builds) {
    static const std::regex variable(R"([A-Za-z_][A-Za-z0-9_]*)");
    std::map<std::string, SourceFacts> read;  // sha256 -> facts, once per call
    for (const auto& b : builds) {
        if (b.python.is_packaged()) continue;  // no source; plan_packaged() refused every build setting
        const std::string py_key = "pythons." + b.python.key;
        const std::string profile_key = "profiles." + b.profile;
        auto it = read.find(b.python.sha256);
        if (it == read.end()) {
            try {
                it = read.emplace(b.python.sha256, read_source_facts(b.python.source_path, b.python.sha256)).first;
            } catch (const ConfigError&) {
                throw;
            } catch (const Error& e) {
                throw ConfigError(b.python.where, py_key + ".source", e.what());
            }
        }
        const SourceFacts& facts = it->second;
        if (b.python.version != facts.version)
            throw ConfigError(b.python.key_where.count("version") ? b.python.key_where.at("version") : b.python.where,
                              py_key + ".version",
                              fmt::format("declares version {}, but {} is CPython {} (PY_VERSION in "
                                          "Include/patchlevel.h)",
                                          b.python.version,
                                          b.python.source_path.empty() ? b.python.source : b.python.source_path.string(),
                                          facts.version));

        const auto violations = check_rules(facts.version, b.configure_args, b.base_image);
        auto rule_error = [&](const RuleViolation& v) {
            return ConfigError(where_of(b, setting_of(b, v.argument)), profile_key + "." + setting_of(b, v.argument),
                               fmt::format("{}. {} (see {})", v.message, v.reason, v.citation));
        };
        const auto& args = b.configure_args;
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& arg = args[i];
            auto config_error = [&](const std::string& message) {
                return ConfigError(where_of(b, setting_of(b, arg)), profile_key + "." + setting_of(b, arg), message);
            };
            const std::string name = option_name(arg);
            if (name.empty()) {
                auto eq = arg.find('=');
                if (eq == std::string::npos)
                    throw config_error(fmt::format("'{}' is neither a configure option nor a VAR=value assignment "
                                                   "(configure would take it for a host type)",
                                                   arg));
                if (!std::regex_match(arg.substr(0, eq), variable))
                    throw config_error(fmt::format("'{}': '{}' is not a valid variable name for configure", arg,
                                                   arg.substr(0, eq)));
                continue;
            }
            const std::string written = arg.substr(0, arg.find('='));
            if (!facts.options.count(name)) {
                for (const auto& v : violations)
                    if (v.argument == arg) throw rule_error(v);  // says why, e.g. "needs CPython 3.13"
                std::string hint = suggest_option(name, facts.options);
                throw config_error(fmt::format("'{}' is not a configure option of CPython {}{}", written, facts.version,
                                               hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
            }
            auto prefix = feature_prefix(name);
            if ((prefix == "--disable-" || prefix == "--without-") && arg.find('=') != std::string::npos)
                throw config_error(fmt::format("'{}': {} takes no value (configure stops with \"invalid feature "
                                               "name\"); use '{}{}=...' to give one",
                                               arg, name, prefix == "--disable-" ? "--enable-" : "--with-",
                                               name.substr(prefix.size())));
            if (arg.find('=') == std::string::npos && takes_separate_value(name)) {
                if (i + 1 == args.size())
                    throw config_error(fmt::format("'{}' needs a value ('{}=VALUE')", arg, name));
                ++i;  // the next element is its value, as configure reads it
            }
        }
        if (!violations.empty()) throw rule_error(violations.front());
    }
}

}  // namespace pymatrix
