// Size, image id and digest on both of Docker's image stores: the normalization of what
// `docker image inspect` says (pymatrix/image_store.hpp) on documents captured from dockerd 20.10
// (overlay2) and dockerd 26.1 (containerd image store) for quick-start builds
// (tests/fixtures/engine/README.md), the engine socket the docker CLI would use (lib/engine/api.hpp),
// and DockerDriver::inspect_local against a fake engine socket serving those documents.
#include <doctest/doctest.h>

#include "pymatrix/docker_driver.hpp"
#include "pymatrix/image_store.hpp"
#include "../../lib/engine/api.hpp"  // internal to the engine stage

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace pymatrix;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path engine_fixtures = fs::path(PYMATRIX_SOURCE_DIR) / "tests" / "fixtures" / "engine";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE_MESSAGE(in, "missing fixture " << p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}
json fixture(const std::string& name) { return json::parse(slurp(engine_fixtures / name)); }

/// Sets an environment variable for one scope, restoring the old value.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) setenv(name, value, 1);
        else unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_) setenv(name_.c_str(), old_->c_str(), 1);
        else unsetenv(name_.c_str());
    }

private:
    std::string name_;
    std::optional<std::string> old_;
};

/// A temporary directory, removed with its contents.
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/pymatrix-unit-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// A docker engine that answers GET requests on a unix socket from a map of path -> JSON body
/// (404 for any other path), on a thread of its own, until destroyed.
class FakeEngine {
public:
    FakeEngine(fs::path socket, std::map<std::string, std::string> routes)
        : socket_(std::move(socket)), routes_(std::move(routes)) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_.c_str());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_, 8) == 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeEngine() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    std::vector<std::string> requests() const {
        std::lock_guard<std::mutex> lock(mu_);
        return requests_;
    }

private:
    void serve() {
        while (!stop_) {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            std::string req;
            char buf[4096];
            while (req.find("\r\n\r\n") == std::string::npos) {
                ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0) break;
                req.append(buf, static_cast<std::size_t>(n));
            }
            std::string target;
            if (auto sp = req.find(' '); sp != std::string::npos) target = req.substr(sp + 1, req.find(' ', sp + 1) - sp - 1);
            {
                std::lock_guard<std::mutex> lock(mu_);
                requests_.push_back(target);
            }
            auto it = routes_.find(target);
            std::string body = it != routes_.end() ? it->second : R"({"message":"No such image"})";
            std::string head = std::string("HTTP/1.1 ") + (it != routes_.end() ? "200 OK" : "404 Not Found") +
                               "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                               "\r\nConnection: close\r\n\r\n";
            std::string out = head + body;
            for (std::size_t off = 0; off < out.size();) {
                ssize_t n = ::write(c, out.data() + off, out.size() - off);
                if (n <= 0) break;
                off += static_cast<std::size_t>(n);
            }
            ::close(c);
        }
    }
    fs::path socket_;
    std::map<std::string, std::string> routes_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    mutable std::mutex mu_;
    std::vector<std::string> requests_;
};

}  // namespace

TEST_CASE("image store: dockerd 20.10 (overlay2): Size is already the unpacked size, Id the config digest") {
    json inspect = fixture("dockerd-20.10-inspect.json");
    json history = fixture("dockerd-20.10-history.json");
    json images = fixture("dockerd-20.10-images.json");
    CHECK(image_store_of(inspect) == ImageStore::graph_driver);
    CHECK_FALSE(needs_history(inspect));
    // the three numbers of the same image agree on a graph driver
    const std::uint64_t size = inspect["Size"].get<std::uint64_t>();
    CHECK(unpacked_size(history) == size);
    CHECK(images[0]["Size"].get<std::uint64_t>() == size);
    json n = normalize_local_image(inspect, std::nullopt);
    CHECK(n["Size"] == size);
    CHECK(n["Id"] == inspect["Id"]);  // the engine's own id, untouched
    CHECK(n["Pymatrix"]["store"] == "graph-driver");
    CHECK(n["Pymatrix"]["engine_size"] == size);
    CHECK(n["Pymatrix"]["size"] == size);
    CHECK(n["Pymatrix"]["content_size"].is_null());
    CHECK(n["Config"]["Labels"] == inspect["Config"]["Labels"]);
    // a history given anyway changes nothing
    CHECK(normalize_local_image(inspect, history)["Size"] == size);
}

TEST_CASE("image store: dockerd 26.1 (containerd store): Size is the packed content; the unpacked size is the history's") {
    json inspect = fixture("dockerd-26.1-containerd-inspect.json");
    json history = fixture("dockerd-26.1-containerd-history.json");
    json images = fixture("dockerd-26.1-containerd-images.json");
    CHECK(image_store_of(inspect) == ImageStore::containerd);
    CHECK(needs_history(inspect));
    const std::uint64_t packed = inspect["Size"].get<std::uint64_t>();
    auto unpacked = unpacked_size(history);
    REQUIRE(unpacked);
    // `docker images` there shows the unpacked snapshots plus the packed content (without the
    // index, which inspect's Size counts: under 2 KiB apart)
    const std::uint64_t listed = images[0]["Size"].get<std::uint64_t>();
    CHECK(listed - *unpacked <= packed);
    CHECK(packed - (listed - *unpacked) < 2048);
    CHECK(*unpacked > packed);
    CHECK(*unpacked % 512 == 0);  // containerd's snapshotter counts allocated 512-byte blocks
    // the Id is the index (or manifest) digest, also the digest part of its RepoDigests
    const std::string id = inspect["Id"];
    bool in_repo_digests = false;
    for (auto& d : inspect["RepoDigests"]) in_repo_digests |= d.get<std::string>().find("@" + id) != std::string::npos;
    CHECK(in_repo_digests);

    json n = normalize_local_image(inspect, history);
    CHECK(n["Size"] == *unpacked);
    CHECK(n["Id"] == id);
    CHECK(n["Pymatrix"]["store"] == "containerd");
    CHECK(n["Pymatrix"]["engine_size"] == packed);
    CHECK(n["Pymatrix"]["content_size"] == packed);
    CHECK(n["Pymatrix"]["size"] == *unpacked);
    // no history: unknown (0), never the packed size under the name of the unpacked one
    json unknown = normalize_local_image(inspect, std::nullopt);
    CHECK(unknown["Size"] == 0);
    CHECK(unknown["Pymatrix"]["size"].is_null());
    CHECK(normalize_local_image(inspect, json::parse("{\"message\":\"x\"}", nullptr, false))["Size"] == 0);
}

TEST_CASE("image store: the same quick-start build reads about the same size on both engines") {
    // 3.13-default of matrices/quickstart.toml, built from the same Dockerfile and sources on
    // each engine: 20.10 counts the bytes of the files, containerd's snapshotter the blocks they
    // take (a file of 1 byte takes 4096), so the containerd store reads a little larger.
    const double d20 = normalize_local_image(fixture("dockerd-20.10-inspect.json"), std::nullopt)["Size"].get<double>();
    const double d26 = normalize_local_image(fixture("dockerd-26.1-containerd-inspect.json"),
                                             fixture("dockerd-26.1-containerd-history.json"))["Size"].get<double>();
    const double packed = fixture("dockerd-26.1-containerd-inspect.json")["Size"].get<double>();
    MESSAGE("20.10: " << d20 << " B; 26.1 containerd: " << d26 << " B (ratio " << d26 / d20 << "); its packed content: " << packed << " B");
    CHECK(d26 >= d20);
    CHECK(d26 <= d20 * 1.15);  // measured: 272261120 / 244946782 = 1.1115
    CHECK(packed < d20 * 0.6);  // what pymatrix reported there before: the compressed size
}

TEST_CASE("image store: which store an inspect document comes from") {
    CHECK(image_store_of(json::parse(R"({"GraphDriver":{"Name":"overlay2","Data":{"UpperDir":"/x"}}})")) == ImageStore::graph_driver);
    CHECK(image_store_of(json::parse(R"({"GraphDriver":{"Name":"overlayfs","Data":null}})")) == ImageStore::containerd);
    CHECK(image_store_of(json::parse(R"({"GraphDriver":{"Name":"native"}})")) == ImageStore::containerd);
    CHECK(image_store_of(json::parse(R"({"GraphDriver":{"Name":"vfs","Data":null}})")) == ImageStore::unknown);
    CHECK(image_store_of(json::parse(R"({"GraphDriver":{"Name":"btrfs","Data":{}}})")) == ImageStore::unknown);
    CHECK(image_store_of(json::parse("{}")) == ImageStore::unknown);
    CHECK(image_store_of(json::parse("[]")) == ImageStore::unknown);
    // unknown: the history decides, which is right on a graph driver too
    CHECK(needs_history(json::parse(R"({"GraphDriver":{"Name":"vfs","Data":null}})")));
    json vfs = json::parse(R"({"Id":"sha256:a","Size":30,"GraphDriver":{"Name":"vfs","Data":null}})");
    CHECK(normalize_local_image(vfs, json::parse(R"([{"Size":10},{"Size":0},{"Size":20}])"))["Size"] == 30);
    CHECK(normalize_local_image(json::parse("[1]"), std::nullopt) == json::parse("[1]"));
}

TEST_CASE("image store: history sizes from the API and from the CLI") {
    CHECK(unpacked_size(json::parse(R"([{"Size":1},{"Size":0},{"Size":4096}])")) == 4097u);
    CHECK_FALSE(unpacked_size(json::parse("[]")));
    CHECK_FALSE(unpacked_size(json::parse(R"([{"Size":-1}])")));
    CHECK_FALSE(unpacked_size(json::parse(R"([{"Size":"12MB"}])")));
    CHECK_FALSE(unpacked_size(json::parse(R"({"Size":1})")));
    auto cli = history_from_cli("0\n13500170\n114816786\r\n\n");
    REQUIRE(cli);
    CHECK(unpacked_size(*cli) == 128316956u);
    CHECK_FALSE(history_from_cli("12.5MB\n"));
    CHECK_FALSE(history_from_cli("-3\n"));
    CHECK_FALSE(history_from_cli(""));
}

TEST_CASE("engine socket: endpoints and context files as the docker CLI keeps them") {
    CHECK(detail::unix_socket_of("unix:///var/lib/pymatrix/nodes/n26/docker.sock") == "/var/lib/pymatrix/nodes/n26/docker.sock");
    CHECK_FALSE(detail::unix_socket_of("tcp://127.0.0.1:2375"));
    CHECK_FALSE(detail::unix_socket_of("ssh://me@host"));
    CHECK_FALSE(detail::unix_socket_of("unix://"));
    CHECK(detail::context_endpoint(R"({"Name":"n26","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///n26.sock","SkipTLSVerify":false}}})") ==
          "unix:///n26.sock");
    CHECK_FALSE(detail::context_endpoint(R"({"Name":"k","Endpoints":{"kubernetes":{}}})"));
    CHECK_FALSE(detail::context_endpoint("not json"));
    // the CLI names a context's folder by the SHA-256 of its name (echo -n n26 | sha256sum)
    CHECK(detail::context_meta_path("/root/.docker", "n26") ==
          "/root/.docker/contexts/meta/0d6f52f4c5a8d20c589e6ab66451fad38d0ddea79fb50fde348d922d884b2dbc/meta.json");
}

TEST_CASE("engine socket: DOCKER_HOST, then DOCKER_CONTEXT, then config.json's current context, as the CLI") {
    TempDir dir;
    auto add_context = [&](const std::string& name, const std::string& host) {
        fs::path meta = detail::context_meta_path(dir.path.string(), name);
        fs::create_directories(fs::path(meta).parent_path());
        std::ofstream(meta) << json{{"Name", name}, {"Metadata", json::object()}, {"Endpoints", {{"docker", {{"Host", host}}}}}}.dump();
    };
    add_context("n26", "unix:///var/lib/pymatrix/nodes/n26/docker.sock");
    add_context("remote", "tcp://10.0.0.2:2376");
    ScopedEnv config("DOCKER_CONFIG", dir.path.c_str());
    {
        ScopedEnv host("DOCKER_HOST", nullptr), context("DOCKER_CONTEXT", nullptr);
        CHECK(detail::engine_socket() == "/var/run/docker.sock");
        std::ofstream(dir.path / "config.json") << R"({"auths":{},"currentContext":"n26"})";
        CHECK(detail::engine_socket() == "/var/lib/pymatrix/nodes/n26/docker.sock");  // `docker context use n26`
        fs::remove(dir.path / "config.json");
        CHECK(detail::engine_socket("n26") == "/var/lib/pymatrix/nodes/n26/docker.sock");
        CHECK(detail::engine_socket("default") == "/var/run/docker.sock");
        CHECK_FALSE(detail::engine_socket("remote"));  // tcp: the CLI's job
        CHECK_FALSE(detail::engine_socket("no-such-context"));
    }
    {
        ScopedEnv host("DOCKER_HOST", nullptr), context("DOCKER_CONTEXT", "n26");
        CHECK(detail::engine_socket() == "/var/lib/pymatrix/nodes/n26/docker.sock");
    }
    {
        ScopedEnv host("DOCKER_HOST", "unix:///run/other.sock"), context("DOCKER_CONTEXT", "n26");
        CHECK(detail::engine_socket() == "/run/other.sock");  // DOCKER_HOST wins, as in the CLI
        CHECK(detail::engine_socket("default") == "/run/other.sock");
        CHECK(detail::engine_socket("n26") == "/var/lib/pymatrix/nodes/n26/docker.sock");  // --context wins
    }
    {
        ScopedEnv host("DOCKER_HOST", "tcp://127.0.0.1:2375"), context("DOCKER_CONTEXT", nullptr);
        CHECK_FALSE(detail::engine_socket());
    }
}

TEST_CASE("DockerDriver::inspect_local reports the unpacked size on both stores (fake engine socket)") {
    TempDir dir;
    const std::string ref = "pymatrix/cpython:3.13.5-default";
    ScopedEnv no_docker_override("PYMATRIX_DOCKER", nullptr), context("DOCKER_CONTEXT", nullptr);
    for (std::string engine : {"dockerd-20.10", "dockerd-26.1-containerd"}) {
        CAPTURE(engine);
        json inspect = fixture(std::string(engine) + "-inspect.json");
        const std::string id = inspect["Id"];
        fs::path sock = dir.path / (std::string(engine) + ".sock");
        FakeEngine fake(sock, {{"/images/" + ref + "/json", inspect.dump()},
                               {"/images/" + id + "/history", slurp(engine_fixtures / (std::string(engine) + "-history.json"))}});
        ScopedEnv host("DOCKER_HOST", ("unix://" + sock.string()).c_str());
        DockerDriver driver;
        auto doc = driver.inspect_local(ref);
        REQUIRE(doc);
        CHECK((*doc)["Id"] == id);
        CHECK((*doc)["Size"] == *unpacked_size(fixture(std::string(engine) + "-history.json")));
        CHECK((*doc)["Config"]["Labels"]["io.pymatrix.config-hash"] == inspect["Config"]["Labels"]["io.pymatrix.config-hash"]);
        auto asked = fake.requests();
        // the graph driver's Size is the unpacked size already: no second request there
        CHECK(asked.size() == (image_store_of(inspect) == ImageStore::containerd ? 2u : 1u));
        CHECK_FALSE(driver.inspect_local("pymatrix/cpython:no-such-tag"));  // 404: absent
    }
}
