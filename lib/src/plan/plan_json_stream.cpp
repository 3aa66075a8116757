// `plan --format json` written build by build: the bytes of plan_to_json(...).dump(2) without
// holding the whole document (10,000 builds are ~40 MB as one nlohmann tree plus its string).
#include "pymatrix/plan.hpp"

#include <ostream>

namespace pymatrix {

void write_plan_json(std::ostream& out, const MatrixFile& file, const std::vector<Build>& builds) {
    // keys in std::map order, as nlohmann::json sorts them: builds, file, template_version
    out << "{\n  \"builds\": [";
    std::string text, indented;
    for (std::size_t i = 0; i < builds.size(); ++i) {
        text = build_to_json(builds[i]).dump(2);
        indented.assign(i ? ",\n    " : "\n    ");
        for (char c : text) {  // indent the build's own lines by the 4 spaces of its depth
            indented += c;
            if (c == '\n') indented += "    ";
        }
        out.write(indented.data(), static_cast<std::streamsize>(indented.size()));  // one write per build
    }
    out << (builds.empty() ? "]" : "\n  ]") << ",\n  \"file\": " << nlohmann::json(file.path.string()).dump()
        << ",\n  \"template_version\": " << nlohmann::json(template_version()).dump() << "\n}\n";
}

}  // namespace pymatrix
