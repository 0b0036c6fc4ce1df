"""A small kustomize, so CI renders ``manifests/`` overlays without the kustomize binary.

It implements the part of kustomize that ``manifests/`` uses, with kustomize's semantics, and
refuses everything else (an unknown field, a generator option, a patch it could apply
differently from kustomize) instead of ignoring it, so a manifest change that needs more
fails here first:

- ``resources``: YAML files (several documents each) and directories with a kustomization;
- ``configMapGenerator``: ``envs`` files, ``behavior`` create / merge / replace. Generated
  names get kustomize's content-hash suffix at the end of the build, and the references in
  pod templates are renamed alike; a reference anywhere else (a custom resource, which
  kustomize would not rename) is an error;
- ``patches``: ``path`` with an optional ``target`` (kind, name). A mapping is a strategic
  merge patch: maps merge, ``null`` removes a key, lists of the built-in kinds merge by their
  merge key (containers by name, ...) or are replaced where Kubernetes replaces them; a list
  in a patch of a custom resource is refused (use a JSON patch). A list of operations is a
  JSON patch (RFC 6902: add, remove, replace);
- ``namespace``, then ``images`` (newName, newTag, digest), in kustomize's order.

``python -m tests.kustomize manifests/overlays/dev`` prints the rendered YAML.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = ["KustomizeError", "config_map_hash", "render", "to_yaml"]

Resource = dict[str, Any]


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not implement, or is wrong."""


_KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "configMapGenerator",
    "patches",
    "images",
}
_GENERATOR_FIELDS = {"name", "envs", "behavior"}
_PATCH_FIELDS = {"path", "target"}
_TARGET_FIELDS = {"kind", "name"}
_IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}

_CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "ClusterTriggerAuthentication",
}
_BUILTIN_GROUPS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
}

# Strategic merge: the merge key of each list field that has one in the Kubernetes API, and
# the list fields Kubernetes replaces as a whole. Any other list in a patch is refused.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}
_ATOMIC_LISTS = {
    "args",
    "command",
    "tolerations",
    "accessModes",
    "rules",
    "tls",
    "paths",
    "hosts",
    "metrics",
    "policies",
    "envFrom",
}
_ENV_LINE = re.compile(r"([-._a-zA-Z0-9]+)=(.*)")


def render(directory: str | Path) -> list[Resource]:
    """What ``kustomize build directory`` prints, as a list of objects."""
    resources, generated = _build(Path(directory))
    _apply_name_hashes(resources, generated)
    return resources


def to_yaml(resources: list[Resource]) -> str:
    return yaml.safe_dump_all(resources, sort_keys=False)


def config_map_hash(config_map: Resource) -> str:
    """kustomize's name suffix for a generated ConfigMap: the sha256 of the JSON of its kind,
    name and data (Go's encoding: sorted keys, <>& escaped), first 10 hex digits with the
    letters that could spell words swapped out."""
    data = config_map.get("data") or ""
    encoded = json.dumps(
        {"data": data, "kind": "ConfigMap", "name": config_map["metadata"].get("name", "")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        encoded = encoded.replace(char, escape)
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


# --- one kustomization ----------------------------------------------------------------------


def _build(directory: Path) -> tuple[list[Resource], set[str]]:
    """Resources and the names of the ConfigMaps generated so far (hashed at the very end)."""
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    kustomization = yaml.safe_load(path.read_text()) or {}
    _only(kustomization, _KUSTOMIZATION_FIELDS, str(path))
    resources: list[Resource] = []
    generated: set[str] = set()
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            more, more_generated = _build(target)
            resources += more
            generated |= more_generated
        else:
            resources += _load(target)
    for generator in kustomization.get("configMapGenerator", []):
        _generate(directory, generator, resources, generated)
    for patch in kustomization.get("patches", []):
        _patch(directory, patch, resources)
    if namespace := kustomization.get("namespace"):
        for resource in resources:
            if resource["kind"] not in _CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = namespace
    for image in kustomization.get("images", []):
        _only(image, _IMAGE_FIELDS, f"{path}: images")
        for resource in resources:
            _set_image(resource, image)
    _check_unique(resources, path)
    return resources, generated


def _only(mapping: dict, allowed: set[str], where: str) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        raise KustomizeError(f"{where}: not supported here: {sorted(unknown)}")


def _load(path: Path) -> list[Resource]:
    if not path.is_file():
        raise KustomizeError(f"{path}: no such file")
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    for doc in docs:
        if not isinstance(doc, dict) or not {"apiVersion", "kind", "metadata"} <= set(doc):
            raise KustomizeError(f"{path}: every document needs apiVersion, kind and metadata")
    return docs


def _check_unique(resources: list[Resource], where: Path) -> None:
    seen: set[tuple[str, str, str | None]] = set()
    for resource in resources:
        meta = resource["metadata"]
        key = (resource["kind"], meta["name"], meta.get("namespace"))
        if key in seen:
            raise KustomizeError(f"{where}: {key[0]}/{key[1]} is defined twice")
        seen.add(key)


def _find(resources: list[Resource], kind: str, name: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]


# --- configMapGenerator ---------------------------------------------------------------------


def _generate(directory: Path, generator: dict, resources: list[Resource], generated: set[str]):
    _only(generator, _GENERATOR_FIELDS, f"{directory}: configMapGenerator")
    name = generator["name"]
    data: dict[str, str] = {}
    for env in generator.get("envs", []):
        data.update(_read_env_file(directory / env))
    behavior = generator.get("behavior", "create")
    existing = _find(resources, "ConfigMap", name)
    if behavior == "create":
        if existing:
            raise KustomizeError(f"ConfigMap {name} exists already; use behavior merge/replace")
        resources.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
        )
        generated.add(name)
    elif behavior in ("merge", "replace"):
        if not existing or name not in generated:
            raise KustomizeError(f"configMapGenerator {name}: no generated ConfigMap to {behavior}")
        config_map = existing[0]
        config_map["data"] = {**config_map.get("data", {}), **data} if behavior == "merge" else data
    else:
        raise KustomizeError(f"configMapGenerator {name}: unknown behavior {behavior!r}")


def _read_env_file(path: Path) -> dict[str, str]:
    """kustomize's env file: KEY=VALUE per line, # comments and blank lines skipped. The value
    is taken as written; quotes, surrounding spaces and a KEY without '=' (which kustomize
    fills from its own environment) are refused as ambiguous."""
    data: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(raw)
        where = f"{path}:{number}"
        if not match:
            raise KustomizeError(f"{where}: expected KEY=VALUE")
        key, value = match.groups()
        if value != value.strip() or value[:1] in ("'", '"'):
            raise KustomizeError(f"{where}: no quotes or surrounding spaces in values")
        if key in data:
            raise KustomizeError(f"{where}: {key} is set twice")
        data[key] = value
    return data


# --- patches --------------------------------------------------------------------------------


def _patch(directory: Path, entry: dict, resources: list[Resource]) -> None:
    _only(entry, _PATCH_FIELDS, f"{directory}: patches")
    path = directory / entry["path"]
    target = entry.get("target")
    if target is not None:
        _only(target, _TARGET_FIELDS, f"{path}: target")
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    if len(docs) == 1 and isinstance(docs[0], list):
        if target is None:
            raise KustomizeError(f"{path}: a JSON patch needs a target")
        for resource in _targets(resources, target["kind"], target["name"], path):
            _json_patch(resource, docs[0], path)
        return
    for doc in docs:
        if not isinstance(doc, dict):
            raise KustomizeError(f"{path}: a patch is a mapping or a list of operations")
        kind = (target or doc).get("kind")
        name = (target or {}).get("name") or doc.get("metadata", {}).get("name")
        for resource in _targets(resources, kind, name, path):
            builtin = resource["apiVersion"] in _BUILTIN_GROUPS
            patch = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
            _merge(resource, patch, builtin=builtin, where=f"{path}: {kind}/{name}")


def _targets(resources: list[Resource], kind: str | None, name: str | None, path: Path):
    if not kind or not name:
        raise KustomizeError(f"{path}: a patch names its target's kind and name")
    found = _find(resources, kind, name)
    if not found:
        raise KustomizeError(f"{path}: no {kind}/{name} to patch")
    return found


def _merge(base: dict, patch: dict, *, builtin: bool, where: str) -> None:
    for key, value in patch.items():
        if key.startswith("$"):
            raise KustomizeError(f"{where}: patch directive {key} is not supported")
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict):
            if not isinstance(base.get(key), dict):
                base[key] = {}
            _merge(base[key], value, builtin=builtin, where=where)
        elif isinstance(value, list):
            base[key] = _merge_list(base.get(key), value, key, builtin=builtin, where=where)
        else:
            base[key] = copy.deepcopy(value)


def _merge_list(base: list | None, patch: list, field: str, *, builtin: bool, where: str) -> list:
    if not builtin:
        raise KustomizeError(f"{where}: list {field!r} in a custom resource: use a JSON patch")
    if field in _ATOMIC_LISTS:
        return copy.deepcopy(patch)
    key = _MERGE_KEYS.get(field)
    if key is None:
        raise KustomizeError(f"{where}: list field {field!r}: merge semantics not implemented")
    merged = copy.deepcopy(base or [])
    for item in patch:
        match = next((m for m in merged if m.get(key) == item.get(key)), None)
        if match is None:
            merged.append(copy.deepcopy(item))
        else:
            _merge(match, item, builtin=builtin, where=where)
    return merged


def _json_patch(resource: Resource, operations: list, path: Path) -> None:
    for op in operations:
        kind, pointer = op.get("op"), op.get("path", "")
        if kind not in ("add", "remove", "replace") or not pointer.startswith("/"):
            raise KustomizeError(f"{path}: unsupported operation {op}")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]
        parent: Any = resource
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        try:
            if isinstance(parent, list):
                if kind == "add":
                    index = len(parent) if last == "-" else int(last)
                    parent.insert(index, copy.deepcopy(op["value"]))
                elif kind == "remove":
                    del parent[int(last)]
                else:
                    parent[int(last)] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del parent[last]
            else:
                if kind == "replace" and last not in parent:
                    raise KeyError(last)
                parent[last] = copy.deepcopy(op["value"])
        except (KeyError, IndexError, ValueError) as exc:
            raise KustomizeError(f"{path}: {pointer} does not exist ({exc})") from None


# --- images and references ------------------------------------------------------------------


def _pod_specs(resource: Resource) -> Iterator[dict]:
    spec = resource.get("spec") or {}
    kind = resource["kind"]
    if kind == "Pod":
        yield spec
    elif kind == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield spec["template"]["spec"]


def _containers(resource: Resource) -> Iterator[dict]:
    for pod in _pod_specs(resource):
        yield from pod.get("initContainers", [])
        yield from pod.get("containers", [])


def _split_image(image: str) -> tuple[str, str]:
    """``name`` and the rest (``:tag``, ``@digest`` or both); a registry port stays in the name."""
    name, at, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon:] + at + digest
    return name, at + digest


def _set_image(resource: Resource, image: dict) -> None:
    for container in _containers(resource):
        name, rest = _split_image(container["image"])
        if name != image["name"]:
            continue
        if "digest" in image:
            rest = "@" + image["digest"]
        elif "newTag" in image:
            rest = ":" + image["newTag"]
        container["image"] = image.get("newName", name) + rest


def _apply_name_hashes(resources: list[Resource], generated: set[str]) -> None:
    renamed: dict[str, str] = {}
    for name in generated:
        (config_map,) = _find(resources, "ConfigMap", name)
        renamed[name] = f"{name}-{config_map_hash(config_map)}"
        config_map["metadata"]["name"] = renamed[name]
    for resource in resources:
        for pod in _pod_specs(resource):
            _rename_in_pod(pod, renamed)
    for resource in resources:
        if resource["kind"] == "ConfigMap":
            continue
        for value in _strings(resource):
            if value in renamed:
                raise KustomizeError(
                    f"{resource['kind']}/{resource['metadata']['name']} refers to ConfigMap "
                    f"{value} where kustomize would not add the hash suffix"
                )


def _rename_in_pod(pod: dict, renamed: dict[str, str]) -> None:
    refs = []
    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        refs += [e["configMapRef"] for e in container.get("envFrom", []) if "configMapRef" in e]
        refs += [
            e["valueFrom"]["configMapKeyRef"]
            for e in container.get("env", [])
            if "configMapKeyRef" in e.get("valueFrom", {})
        ]
    for volume in pod.get("volumes", []):
        if "configMap" in volume:
            refs.append(volume["configMap"])
        for source in volume.get("projected", {}).get("sources", []):
            if "configMap" in source:
                refs.append(source["configMap"])
    for ref in refs:
        ref["name"] = renamed.get(ref["name"], ref["name"])


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


if __name__ == "__main__":
    for directory in sys.argv[1:] or ["."]:
        sys.stdout.write(to_yaml(render(directory)))
