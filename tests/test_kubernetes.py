"""deploy/kubernetes/ is a Kustomize base of plain manifests: every one valid against the
Kubernetes API schemas (kubernetes-validate, strict: no unknown fields), and saying what
docs/deployment.md says."""

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.test_docker_compose import SERVICES as COMPOSE

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "deploy" / "kubernetes"
KUSTOMIZATION = yaml.safe_load((BASE / "kustomization.yaml").read_text())
MANIFESTS = sorted(p.name for p in BASE.glob("*.yaml") if p.name != "kustomization.yaml")
DOCS = [doc for name in MANIFESTS for doc in yaml.safe_load_all((BASE / name).read_text())]
# The oldest Kubernetes we claim (docs/deployment.md) and the newest the validator knows.
VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
WORKER_QUEUES = ("escalation", "delivery", "housekeeping")


def of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in DOCS if doc["kind"] == kind}


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_the_kustomization_lists_every_manifest_in_the_folder():
    assert sorted(KUSTOMIZATION["resources"]) == MANIFESTS


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(version):
    errors = {}
    for doc in DOCS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors[f"{doc['kind']}/{doc['metadata']['name']}"] = error.message
    assert not errors


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_kubectl_builds_the_base():
    built = subprocess.run(
        ["kubectl", "kustomize", str(BASE)], capture_output=True, text=True, check=True
    ).stdout
    kinds = [doc["kind"] for doc in yaml.safe_load_all(built)]
    assert len(kinds) == len(DOCS)


def test_web_ws_and_every_worker_have_probes_an_autoscaler_and_a_disruption_budget():
    deployments = of_kind("Deployment")
    scaled = {"web", "ws", *(f"worker-{q}" for q in WORKER_QUEUES)}
    assert set(deployments) == scaled | {"beat"}
    assert set(of_kind("HorizontalPodAutoscaler")) == scaled
    assert set(of_kind("PodDisruptionBudget")) == scaled
    for name in deployments:
        assert {"livenessProbe", "readinessProbe"} <= set(container(deployments[name]))
    for name in ("web", "ws"):
        probes = container(deployments[name])
        assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_the_processes_run_the_commands_of_docker_compose():
    deployments = of_kind("Deployment")
    for name in ("web", "ws", "beat", *(f"worker-{q}" for q in WORKER_QUEUES)):
        assert container(deployments[name])["command"] == COMPOSE[name]["command"], name
    (job,) = of_kind("Job").values()
    assert (
        job["spec"]["template"]["spec"]["containers"][0]["command"]
        == (COMPOSE["migrate"]["command"])
    )


def test_beat_is_one_replica_replaced_by_recreate():
    beat = of_kind("Deployment")["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}


def test_every_pod_runs_as_the_image_user_without_root():
    pods = [d["spec"]["template"]["spec"] for d in of_kind("Deployment").values()]
    pods += [j["spec"]["template"]["spec"] for j in of_kind("Job").values()]
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False


def test_the_config_points_at_pgbouncer_and_redis_sentinel():
    config = of_kind("ConfigMap")["incidentdesk-config"]["data"]
    assert config["DATABASE_PGBOUNCER"] == "true"
    assert config["REDIS_SENTINELS"].count(":26379") == 3
    assert config["REDIS_SENTINEL_MASTER"]
    secret = of_kind("Secret")["incidentdesk-secrets"]["stringData"]
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= set(secret)


def test_the_ingress_sends_websockets_to_ws_and_the_rest_to_web():
    (ingress,) = of_kind("Ingress").values()
    paths = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert paths == {"/ws/": "ws", "/": "web"}


def test_every_variable_the_manifests_set_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    names = set(of_kind("ConfigMap")["incidentdesk-config"]["data"])
    names |= set(of_kind("Secret")["incidentdesk-secrets"]["stringData"])
    for deployment in of_kind("Deployment").values():
        names |= {e["name"] for e in container(deployment).get("env", [])}
    assert not sorted(n for n in names if f"`{n}`" not in readme)
