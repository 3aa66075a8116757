// What a registry's refusal means, read from the words buildx 0.13 and BuildKit (dockerd 20.10)
// printed here against Debian's docker-registry (404) and tests/e2e/fault_registry.py (401, 403,
// 429, 503), and docker's own push and pull errors.
#include <doctest/doctest.h>

#include "pymatrix/registry_fault.hpp"

using namespace pymatrix;

TEST_CASE("classify_registry_fault: BuildKit resolving a FROM image") {
    const std::string llb = "failed to solve: rpc error: code = Unknown desc = failed to solve with frontend "
                            "dockerfile.v0: failed to create LLB definition: ";
    CHECK(classify_registry_fault(llb + "127.0.0.1:5555/library/debian:nope: not found") == RegistryFault::not_found);
    CHECK(classify_registry_fault(llb + "pulling from host 127.0.0.1:7011 failed with status code [manifests y]: 401 "
                                        "Unauthorized") == RegistryFault::unauthorized);
    CHECK(classify_registry_fault(llb + "pulling from host 127.0.0.1:7013 failed with status code [manifests y]: 403 "
                                        "Forbidden") == RegistryFault::forbidden);
    CHECK(classify_registry_fault(llb + "pulling from host 127.0.0.1:7039 failed with status code [manifests y]: 429 Too "
                                        "Many Requests") == RegistryFault::rate_limited);
    CHECK(classify_registry_fault(llb + "pulling from host 127.0.0.1:7053 failed with status code [manifests y]: 503 "
                                        "Service Unavailable") == RegistryFault::server_error);
    CHECK(classify_registry_fault(llb + "failed to do request: Head \"http://127.0.0.1:7099/v2/x/manifests/y\": dial tcp "
                                        "127.0.0.1:7099: connect: connection refused") == RegistryFault::unreachable);
    // a mirror answering 404 and Docker Hub out of reach: the engine reports the last host's error
    CHECK(classify_registry_fault(llb + "failed to do request: Head \"https://registry-1.docker.io/v2/library/debian/"
                                        "manifests/nope\": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no "
                                        "such host") == RegistryFault::unreachable);
}

TEST_CASE("classify_registry_fault: buildx imagetools inspect (the build-once lookup)") {
    CHECK(classify_registry_fault("127.0.0.1:5555/library/debian:nope: not found") == RegistryFault::not_found);
    CHECK(classify_registry_fault("pull access denied, repository does not exist or may require authorization: "
                                  "authorization failed: no basic auth credentials") == RegistryFault::unauthorized);
    CHECK(classify_registry_fault("unexpected status from HEAD request to http://127.0.0.1:7013/v2/x/manifests/y: 403 "
                                  "Forbidden") == RegistryFault::forbidden);
    CHECK(classify_registry_fault("unexpected status from HEAD request to http://127.0.0.1:7039/v2/x/manifests/y: 429 "
                                  "Too Many Requests") == RegistryFault::rate_limited);
    CHECK(classify_registry_fault("unexpected status from HEAD request to http://127.0.0.1:7053/v2/x/manifests/y: 503 "
                                  "Service Unavailable") == RegistryFault::server_error);
    // docker pull and push, from the daemon
    CHECK(classify_registry_fault("Error response from daemon: toomanyrequests: Too Many Requests") ==
          RegistryFault::rate_limited);
    CHECK(classify_registry_fault("denied: requested access to the resource is denied") == RegistryFault::forbidden);
    CHECK(classify_registry_fault("Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused") ==
          RegistryFault::unreachable);
    // two pushes of the same layers racing (moby/moby#22854): a 404 that is no absent image
    CHECK(classify_registry_fault("manifest blob unknown: blob unknown to registry") == RegistryFault::blob_unknown);
    // a digest that happens to hold "503" is no server error; an unknown line is just "refused"
    CHECK(classify_registry_fault("sha256:0503aa: invalid reference format") == RegistryFault::other);
}

TEST_CASE("is_transient and describe: only 429, 5xx, no answer and a blob race are worth a retry") {
    CHECK(is_transient(RegistryFault::rate_limited));
    CHECK(is_transient(RegistryFault::server_error));
    CHECK(is_transient(RegistryFault::unreachable));
    CHECK(is_transient(RegistryFault::blob_unknown));
    CHECK_FALSE(is_transient(RegistryFault::not_found));
    CHECK_FALSE(is_transient(RegistryFault::unauthorized));
    CHECK_FALSE(is_transient(RegistryFault::forbidden));
    CHECK(describe(RegistryFault::not_found) == "not found");
    CHECK(describe(RegistryFault::rate_limited) == "rate-limited (429 Too Many Requests; transient, retry later)");
    for (auto f : {RegistryFault::unauthorized, RegistryFault::forbidden, RegistryFault::rate_limited,
                   RegistryFault::server_error, RegistryFault::unreachable, RegistryFault::blob_unknown,
                   RegistryFault::other})
        CHECK(describe(f).find("not found") == std::string::npos);
}
