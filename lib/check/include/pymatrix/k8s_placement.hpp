// pymatrix/k8s_placement.hpp: Kubernetes placement from an image's ISA labels: the node affinity
// (affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) that admits exactly the
// nodes whose CPU can run the image, in the labels node-feature-discovery puts on nodes
// (pymatrix/nfd.hpp). Pure: no engine, no I/O.
//
// Shape (Kubernetes API core/v1 NodeAffinity, NodeSelector, NodeSelectorTerm,
// NodeSelectorRequirement): nodeSelectorTerms is a list of terms, ORed; a term's matchExpressions
// are ANDed; each has a key, an operator (In, NotIn, Exists, DoesNotExist, Gt, Lt) and values
// (In/NotIn: one or more; Exists/DoesNotExist: none; Gt/Lt: one integer).
#pragma once

#include "pymatrix/check.hpp"
#include "pymatrix/nfd.hpp"

#include <map>
#include <string>
#include <vector>

namespace pymatrix {

/// One matchExpressions entry of a nodeSelectorTerm.
struct NodeSelectorRequirement {
    std::string key;                  ///< a node label key
    std::string op;                   ///< "In", "NotIn", "Exists", "DoesNotExist", "Gt" or "Lt"
    std::vector<std::string> values;  ///< see the operator
};

/// Where an image may run, as one nodeSelectorTerm.
struct Placement {
    isa::nfd::Mode mode = isa::nfd::Mode::levels;
    std::string level;                                    ///< the x86-64 level required ("" if none)
    std::vector<NodeSelectorRequirement> match_expressions;  ///< ANDed; empty when `refused`
    std::vector<std::string> needs_config;  ///< NFD names required above that NFD's default config does not publish
    std::vector<std::string> no_nfd_label;  ///< cpuinfo flags the image needs that NFD never labels
    std::string refused;                    ///< why no placement can be given ("" when it can)
};

/// The placement of `image`:
/// - kubernetes.io/arch In [amd64] (or arm64) always;
/// - `levels` mode (NFD >= 0.19): cpu-cpuid.X86_64_V<n> In ["true"] for the image's level (NFD
///   labels levels cumulatively, so a v4 node matches a v3 image), plus cpu-cpuid.<NAME> In
///   ["true"] for every feature beyond that level (a -march=native build's extras);
/// - `legacy` mode: cpu-cpuid.<NAME> In ["true"] for every feature beyond the x86-64 baseline
///   (which every amd64 node has).
/// Features NFD has no name for are listed in `no_nfd_label` (a scheduler cannot require them;
/// the in-image guard still checks them at start). An aarch64 image gets its arch only (pymatrix
/// records no aarch64 features). `refused` is set for an unlabelled image or an architecture
/// Kubernetes has no value for here. Throws nothing.
Placement placement_for(const IsaRequirement& image, isa::nfd::Mode mode);

/// Whether a node with `node_labels` satisfies every expression (the scheduler's rule for one
/// nodeSelectorTerm: In = label present with one of the values, NotIn = absent or none of them,
/// Exists, DoesNotExist, Gt/Lt = present and an integer above/below the value). Throws nothing.
bool admits(const std::vector<NodeSelectorRequirement>& match_expressions,
            const std::map<std::string, std::string>& node_labels);

/// The nfd-worker configuration (YAML, `sources.cpu.cpuid.attributeBlacklist`) that publishes
/// `publish` as well: NFD's default blacklist without those names. A configured blacklist
/// replaces the default one, so the whole list is written. "" when `publish` is empty.
std::string nfd_worker_config(const std::vector<std::string>& publish);

/// The YAML document `check --format k8s` prints for one image: comment lines (the image, the
/// NFD mode, features without an NFD label, the nfd-worker configuration that publishes what
/// the default one hides) and the `affinity:` mapping. Every scalar is double-quoted; control
/// characters of `image_ref` are replaced. Precondition: placement.refused is empty.
std::string affinity_yaml(const Placement& placement, const std::string& image_ref);

}  // namespace pymatrix
