#!/usr/bin/env python3
"""Checks Kubernetes node affinity YAML (python3-yaml) against the Kubernetes API's documented shape
(core/v1 Affinity -> NodeAffinity -> NodeSelector -> NodeSelectorTerm -> NodeSelectorRequirement)
and prints each nodeSelectorTerm's requirements, one line per term, for the e2e to compare.

  k8s_affinity.py affinity FILE      every YAML document of FILE is {affinity: ...} (check --format k8s)
  k8s_affinity.py deployment FILE    FILE is an apps/v1 Deployment whose pod template carries the affinity
  k8s_affinity.py nfd-config FILE    the nfd-worker configuration in FILE's comments: its attributeBlacklist

A term prints as "key=v1,v2 key2? key3!" ("?" Exists, "!" DoesNotExist, "key>3" Gt, "key<3" Lt,
"key!=v" NotIn). Exits 1 naming the path of the first violation.
"""
import re
import sys

import yaml

OPERATORS = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}
# a qualified label key: [DNS-1123 subdomain prefix "/"] name (Kubernetes "Labels and Selectors")
NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
PREFIX = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
LABEL_VALUE = r"(" + NAME + r")?"


def fail(path, why):
    sys.exit(f"k8s_affinity: {path}: {why}")


def only_keys(obj, allowed, path):
    if not isinstance(obj, dict):
        fail(path, f"expected a mapping, got {type(obj).__name__}")
    extra = set(obj) - set(allowed)
    if extra:
        fail(path, f"unknown field(s) {sorted(extra)}")


def label_key(key, path):
    if not isinstance(key, str):
        fail(path, "key is not a string")
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not re.fullmatch(PREFIX, prefix)):
        fail(path, f"label key prefix {prefix!r} is not a DNS subdomain")
    if not re.fullmatch(NAME, name):
        fail(path, f"label key name {name!r} is not a qualified name")


def requirement(req, path):
    only_keys(req, {"key", "operator", "values"}, path)
    for field in ("key", "operator"):
        if field not in req:
            fail(path, f"missing {field}")
    label_key(req["key"], path + ".key")
    op = req["operator"]
    if op not in OPERATORS:
        fail(path, f"operator {op!r} is not one of {sorted(OPERATORS)}")
    values = req.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        fail(path, "values must be a list of strings")
    if op in ("In", "NotIn"):
        if not values:
            fail(path, f"{op} needs one or more values")
        for v in values:
            if len(v) > 63 or not re.fullmatch(LABEL_VALUE, v):
                fail(path, f"{v!r} is not a label value")
        sep = "=" if op == "In" else "!="
        return req["key"] + sep + ",".join(values)
    if op in ("Exists", "DoesNotExist"):
        if values:
            fail(path, f"{op} takes no values")
        return req["key"] + ("?" if op == "Exists" else "!")
    if len(values) != 1 or not re.fullmatch(r"-?[0-9]+", values[0]):
        fail(path, f"{op} needs exactly one integer value")
    return req["key"] + (">" if op == "Gt" else "<") + values[0]


def affinity(obj, path):
    only_keys(obj, {"nodeAffinity", "podAffinity", "podAntiAffinity"}, path)
    na = obj.get("nodeAffinity")
    only_keys(na, {"requiredDuringSchedulingIgnoredDuringExecution",
                   "preferredDuringSchedulingIgnoredDuringExecution"}, path + ".nodeAffinity")
    sel = na.get("requiredDuringSchedulingIgnoredDuringExecution")
    p = path + ".nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    only_keys(sel, {"nodeSelectorTerms"}, p)
    terms = sel.get("nodeSelectorTerms")
    if not isinstance(terms, list) or not terms:
        fail(p + ".nodeSelectorTerms", "must be a non-empty list")
    lines = []
    for i, term in enumerate(terms):
        tp = f"{p}.nodeSelectorTerms[{i}]"
        only_keys(term, {"matchExpressions", "matchFields"}, tp)
        exprs = term.get("matchExpressions")
        if not isinstance(exprs, list) or not exprs:
            fail(tp + ".matchExpressions", "must be a non-empty list")
        lines.append(" ".join(requirement(r, f"{tp}.matchExpressions[{j}]") for j, r in enumerate(exprs)))
    return lines


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("affinity", "deployment", "nfd-config"):
        sys.exit(__doc__)
    mode, path = sys.argv[1], sys.argv[2]
    text = open(path, encoding="utf-8").read()
    if mode == "nfd-config":
        block, inside = [], False
        for line in text.splitlines():
            if "nfd-worker configuration" in line:
                inside = True
            elif inside and line.startswith("#   "):
                block.append(line[4:])
            elif inside:
                break
        if not block:
            fail(path, "no nfd-worker configuration in the comments")
        cfg = yaml.safe_load("\n".join(block))
        only_keys(cfg, {"sources"}, "config")
        print(" ".join(cfg["sources"]["cpu"]["cpuid"]["attributeBlacklist"]))
        return
    docs = [d for d in yaml.safe_load_all(text)]
    if not docs:
        fail(path, "no YAML document")
    for n, doc in enumerate(docs):
        where = f"document {n + 1}"
        if mode == "affinity":
            only_keys(doc, {"affinity"}, where)
            lines = affinity(doc["affinity"], where + ".affinity")
        else:
            if doc.get("apiVersion") != "apps/v1" or doc.get("kind") != "Deployment":
                fail(where, "not an apps/v1 Deployment")
            spec = doc["spec"]
            labels = spec["template"]["metadata"]["labels"]
            if any(labels.get(k) != v for k, v in spec["selector"]["matchLabels"].items()):
                fail(where + ".spec.selector", "does not select the pod template's labels")
            pod = spec["template"]["spec"]
            if not pod.get("containers"):
                fail(where + ".spec.template.spec.containers", "no container")
            lines = affinity(pod["affinity"], where + ".spec.template.spec.affinity")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
