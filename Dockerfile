# pymatrix as a container image: the CLI, the docker CLI and the buildx plugin, nothing else.
# It drives the engine it is given: a mounted /var/run/docker.sock or DOCKER_HOST.
#
#   docker buildx build --load -t pymatrix:dev .          # (this repository's machines add --network=host)
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD:$PWD" -w "$PWD" \
#       pymatrix:dev build matrices/quickstart.toml
#
# Mounts, DOCKER_HOST, a CI job's ~/.docker and what is not in the image: docs/registry-ci.md.
# No `# syntax=` line: the builtin Dockerfile frontend builds this file (no frontend image pulled).

# --- build: pymatrix itself (Release, no tests) -----------------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      cmake make g++ libboost-dev libboost-program-options-dev libboost-filesystem-dev \
      libtomlplusplus-dev libarchive-dev libfmt-dev nlohmann-json3-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# only what the build reads (.dockerignore keeps the rest out of the context)
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY dockerfiles/ dockerfiles/
COPY workloads/ workloads/
COPY lib/ lib/
COPY cli/ cli/
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DPYMATRIX_BUILD_TESTS=OFF \
 && cmake --build /build --target pymatrix -j"$(nproc)" \
 && strip /build/cli/pymatrix

# --- docker-cli: the docker client and the buildx plugin ---------------------------------------
# Debian 12 has no client-only package (its docker.io carries dockerd, containerd, runc, ...) and
# no buildx; Debian 13 (trixie) has both as docker-cli 26.1 and docker-buildx 0.13, each needing
# only libc6 >= 2.34 (bookworm has 2.36). Their .debs are downloaded, not installed, and only the
# two executables go into the runtime stage.
FROM debian:bookworm-slim AS docker-cli
RUN echo 'deb http://deb.debian.org/debian trixie main' >/etc/apt/sources.list.d/trixie.list \
 && apt-get update \
 && cd /tmp \
 && apt-get download docker-cli/trixie docker-buildx/trixie \
 && dpkg-deb -x docker-cli_*.deb /out \
 && dpkg-deb -x docker-buildx_*.deb /out \
 && test -x /out/usr/bin/docker \
 && test -x /out/usr/libexec/docker/cli-plugins/docker-buildx \
 && rm -rf /var/lib/apt/lists/* /tmp/*.deb

# --- runtime ------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# the shared libraries the binary links (ldd), and curl + CA certificates for `source = "https://..."`
# (apt-get clean: a base made by debootstrap, unlike Docker Hub's, keeps the downloaded .debs)
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-program-options1.74.0 libboost-filesystem1.74.0 libtomlplusplus3 libarchive13 libfmt9 \
      libssl3 curl ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
COPY --from=docker-cli /out/usr/bin/docker /usr/bin/docker
COPY --from=docker-cli /out/usr/libexec/docker/cli-plugins/docker-buildx /usr/libexec/docker/cli-plugins/docker-buildx
# the Dockerfile template, in-image scripts and bench workloads are embedded in the binary
COPY --from=build /build/cli/pymatrix /usr/local/bin/pymatrix
# fail the image build, not the first CI job, when a library or the plugin is missing
RUN ! ldd /usr/local/bin/pymatrix | grep 'not found' \
 && pymatrix --help >/dev/null \
 && docker --version \
 && docker buildx version
WORKDIR /work
ENTRYPOINT ["pymatrix"]
CMD ["--help"]
