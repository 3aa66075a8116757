// `plan --format json` written build by build: the bytes of plan_to_json(...).dump(2) without
// holding the whole document (10,000 builds are ~40 MB as one nlohmann tree plus its string) and
// without building a tree per build: each build's members are written in nlohmann's order (keys
// sorted byte-wise, as its std::map object sorts them) and layout (dump(2)). Strings that need
// anything beyond quoting (escapes, non-ASCII bytes to validate) are dumped by nlohmann itself.
// tests/unit/test_plan_json_stream.cpp holds the bytes equal to plan_to_json().dump(2).
#include "pymatrix/plan.hpp"
#include "flags.hpp"

#include <ostream>

namespace pymatrix {

namespace {

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    // "text" exactly as nlohmann::json(text).dump() writes it
    void string(const std::string& s) {
        for (unsigned char c : s)
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                out_ += nlohmann::json(s).dump();
                return;
            }
        out_ += '"';
        out_ += s;
        out_ += '"';
    }
    // the start of member `key` at `depth` (depth 3: the members of a build object)
    void key(const char* key, int depth, bool first = false) {
        out_ += first ? "\n" : ",\n";
        out_.append(static_cast<std::size_t>(depth) * 2, ' ');
        out_ += '"';
        out_ += key;
        out_ += "\": ";
    }
    void member(const char* k, const std::string& value, int depth, bool first = false) {
        key(k, depth, first);
        string(value);
    }
    void member(const char* k, const std::vector<std::string>& values, int depth) {
        key(k, depth);
        if (values.empty()) {
            out_ += "[]";
            return;
        }
        out_ += '[';
        for (std::size_t i = 0; i < values.size(); ++i) {
            out_ += i ? ",\n" : "\n";
            out_.append(static_cast<std::size_t>(depth + 1) * 2, ' ');
            string(values[i]);
        }
        close(']', depth);
    }
    void member(const char* k, const std::map<std::string, std::string>& values, int depth, bool first = false) {
        key(k, depth, first);
        if (values.empty()) {
            out_ += "{}";
            return;
        }
        out_ += '{';
        bool leading = true;
        for (auto& [name, value] : values) {
            out_ += leading ? "\n" : ",\n";
            leading = false;
            out_.append(static_cast<std::size_t>(depth + 1) * 2, ' ');
            string(name);
            out_ += ": ";
            string(value);
        }
        close('}', depth);
    }
    void close(char bracket, int depth) {
        out_ += '\n';
        out_.append(static_cast<std::size_t>(depth) * 2, ' ');
        out_ += bracket;
    }

private:
    std::string& out_;
};

// build_to_json(b).dump(2) at depth 2 (inside "builds"), members in sorted key order.
void write_build(std::string& out, const Build& b) {
    Writer w(out);
    std::string nodist = cflags_nodist_with_march(b.settings);
    out += "    {";
    w.member("axes", b.axes, 3, true);
    w.member("base_image", b.base_image, 3);
    w.member("build_packages", b.build_packages, 3);
    w.member("cflags", b.settings.cflags, 3);
    w.member("cflags_nodist", nodist, 3);
    w.member("config_hash", b.config_hash, 3);
    w.member("configure_args", b.configure_args, 3);
    w.member("ldflags", b.settings.ldflags, 3);
    w.member("ldflags_nodist", b.settings.ldflags_nodist, 3);
    w.member("march", b.settings.march, 3);
    w.member("name", b.name, 3);
    w.member("notes", b.notes, 3);
    w.member("profile", b.profile, 3);
    w.key("python", 3);
    out += '{';
    if (b.python.is_packaged()) {  // plan.hpp's python_json(), keys in the same (sorted) order
        w.member("base_image", b.python.base_image, 4, true);
        w.member("key", b.python.key, 4);
        w.member("package", b.python.package, 4);
        w.member("packages", b.python.packages, 4);
    } else {
        w.member("key", b.python.key, 4, true);
        w.member("sha256", b.python.sha256, 4);
        w.member("source", b.python.source, 4);
    }
    w.member("version", b.python.version, 4);
    w.close('}', 3);
    w.member("repository", b.repository, 3);
    w.member("tags", b.tags, 3);
    w.member("toolchain_packages", b.toolchain_packages, 3);
    w.member("warnings", b.warnings, 3);
    w.close('}', 2);
}

}  // namespace

void write_plan_json(std::ostream& out, const MatrixFile& file, const std::vector<Build>& builds) {
    // keys in std::map order, as nlohmann::json sorts them: builds, file, template_version
    out << "{\n  \"builds\": [";
    std::string text;
    for (std::size_t i = 0; i < builds.size(); ++i) {
        text.assign(i ? ",\n" : "\n");
        write_build(text, builds[i]);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));  // one write per build
    }
    out << (builds.empty() ? "]" : "\n  ]") << ",\n  \"file\": " << nlohmann::json(file.path.string()).dump()
        << ",\n  \"template_version\": " << nlohmann::json(template_version()).dump() << "\n}\n";
}

}  // namespace pymatrix
