// list-builds FILE: loads a pymatrix TOML file through the library and lists its builds,
// one per line: name, python version, config hash (12 hex), first tag.
// Exit 2 with the library's file:line message on bad input.
#include <pymatrix/plan.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: list-builds FILE\n";
        return 2;
    }
    try {
        auto file = pymatrix::load_matrix_file(argv[1]);
        for (const auto& build : pymatrix::expand(file))
            std::cout << build.name << ' ' << build.python.version << ' ' << build.config_hash.substr(0, 12) << ' '
                      << build.tags.front() << '\n';
    } catch (const pymatrix::Error& e) {
        std::cerr << e.what() << '\n';
        return e.exit_code();
    }
    return 0;
}
