"""Offline validation of the deployment files (issue 14): Kubernetes manifests against the API schemas
(kubernetes-validate --strict, schemas bundled in the wheel), yamllint, the compose file against the compose-spec
(check-jsonschema's bundled vendor.compose-spec), and that names, namespace, ports, labels, probes and the password
agree across deploy/k8s, deploy/docker-compose.yml, examples/local-cluster.sh and docs/WALKTHROUGH.md."""

import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
K8S_FILES = ("01-namespace-config.yaml", "02-redis-cluster.yaml", "03-redis-sentinel.yaml")
COMPOSE = os.path.join(DEPLOY, "docker-compose.yml")
NAMESPACE = "redis-system"
PASSWORD = "redis_password"
PORTS = {"redis-master": 10007, "redis-replica-1": 10008, "redis-replica-2": 10009,
         "redis-sentinel-1": 26379, "redis-sentinel-2": 26380, "redis-sentinel-3": 26381}


def tool(module, *args):
    p = subprocess.run([sys.executable, "-m", module] + list(args), cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    return p.returncode, p.stdout


def k8s_docs():
    docs = []
    for f in K8S_FILES:
        with open(os.path.join(DEPLOY, "k8s", f)) as fh:
            docs.extend((f, d) for d in yaml.safe_load_all(fh) if d)
    return docs


def find(kind, name):
    for _, d in k8s_docs():
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    pytest.fail("no %s/%s in deploy/k8s" % (kind, name), pytrace=False)


def compose():
    with open(COMPOSE) as fh:
        return yaml.safe_load(fh)


def walkthrough():
    with open(os.path.join(ROOT, "docs", "WALKTHROUGH.md")) as fh:
        return fh.read()


@pytest.mark.parametrize("version", ["latest", "1.29.0"])
@pytest.mark.parametrize("name", K8S_FILES)
def test_kubernetes_manifest_passes_kubernetes_validate_strict(name, version):
    """The newest Kubernetes the installed kubernetes-validate knows, and an older one still in use."""
    pytest.importorskip("kubernetes_validate")
    args = ["--strict"] + ([] if version == "latest" else ["-k", version])
    rc, out = tool("kubernetes_validate", *(args + [os.path.join("deploy", "k8s", name)]))
    assert rc == 0, out
    assert "passed" in out and "failed" not in out.lower(), out


def test_deploy_yaml_passes_yamllint():
    pytest.importorskip("yamllint")
    rc, out = tool("yamllint", "-c", ".yamllint", "--strict", "deploy")
    assert rc == 0, out


def test_compose_file_passes_the_compose_spec_schema():
    pytest.importorskip("check_jsonschema")
    rc, out = tool("check_jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE)
    assert rc == 0, out


def test_reference_k8s_paths_resolve_to_deploy_k8s():
    for f in K8S_FILES:
        assert os.path.samefile(os.path.join(ROOT, "k8s", f), os.path.join(DEPLOY, "k8s", f))


def test_every_namespaced_object_is_in_redis_system():
    docs = k8s_docs()
    assert [d for _, d in docs if d["kind"] == "Namespace"][0]["metadata"]["name"] == NAMESPACE
    for f, d in docs:
        if d["kind"] != "Namespace":
            assert d["metadata"].get("namespace") == NAMESPACE, (f, d["kind"], d["metadata"]["name"])


def test_deployments_have_the_reference_names_and_sizes():
    sizes = {n: find("Deployment", n)["spec"]["replicas"] for n in ("redis-master", "redis-replica", "redis-sentinel")}
    assert sizes == {"redis-master": 1, "redis-replica": 2, "redis-sentinel": 3}


def pod_specs():
    return [(d["metadata"]["name"], d["spec"]["template"]) for _, d in k8s_docs() if d["kind"] == "Deployment"]


def test_deployment_selectors_match_their_pod_labels_and_leave_role_out():
    for _, d in k8s_docs():
        if d["kind"] == "Deployment":
            sel = d["spec"]["selector"]["matchLabels"]
            labels = d["spec"]["template"]["metadata"]["labels"]
            assert all(labels.get(k) == v for k, v in sel.items()), d["metadata"]["name"]
            # role moves on failover: a selector on it would orphan the pod
            assert "role" not in sel


def test_services_select_existing_pods_and_named_ports():
    templates = [t for _, t in pod_specs()]
    for _, d in k8s_docs():
        if d["kind"] != "Service":
            continue
        sel = d["spec"]["selector"]
        matching = [t for t in templates if all(t["metadata"]["labels"].get(k) == v for k, v in sel.items())]
        assert matching, "svc/%s selects no pod template" % d["metadata"]["name"]
        for port in d["spec"]["ports"]:
            for t in matching:
                names = {p["name"]: p["containerPort"] for c in t["spec"]["containers"] for p in c.get("ports", [])}
                assert names.get(port["targetPort"]) == port["port"], (d["metadata"]["name"], port)


def test_master_service_follows_the_role_label():
    svc = find("Service", "redis-master")
    assert svc["spec"]["selector"] == {"app": "redis", "role": "master"}
    assert svc["spec"]["ports"][0]["port"] == 6379
    assert find("Deployment", "redis-master")["spec"]["template"]["metadata"]["labels"]["role"] == "master"
    assert find("Deployment", "redis-replica")["spec"]["template"]["metadata"]["labels"]["role"] == "replica"
    cm = find("ConfigMap", "redis-config")["data"]
    assert "client-reconfig-script mymaster /scripts/client-reconfig.sh" in cm["init-sentinel.sh"]
    assert '"role":"$2"' in cm["label-pod.sh"].replace("\\", "")


def test_labeler_service_account_may_only_touch_pods_in_the_namespace():
    role = find("Role", "redis-pod-labeler")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "patch"]}]
    binding = find("RoleBinding", "redis-pod-labeler")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "redis-labeler", "namespace": NAMESPACE}]
    assert not [d for _, d in k8s_docs() if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    for name, t in pod_specs():
        assert t["spec"]["serviceAccountName"] == "redis-labeler", name


def test_every_container_has_probes_requests_and_runs_as_non_root():
    for name, t in pod_specs():
        assert t["spec"]["securityContext"]["runAsNonRoot"] is True
        assert t["spec"]["securityContext"]["runAsUser"] == 999  # the image's redis user (Dockerfile)
        for c in t["spec"]["containers"]:
            for probe in ("readinessProbe", "livenessProbe"):
                assert c[probe]["exec"]["command"] == ["/usr/local/bin/healthcheck.sh"], (name, probe)
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), name
            port_env = {e["name"]: e.get("value") for e in c["env"]}["REDIS_PORT"]
            assert int(port_env) == c["ports"][0]["containerPort"], name


def test_secret_and_configmap_references_exist():
    secret = find("Secret", "redis-auth")
    assert secret["stringData"]["password"] == PASSWORD
    cm = find("ConfigMap", "redis-config")["data"]
    for name, t in pod_specs():
        for c in t["spec"].get("initContainers", []) + t["spec"]["containers"]:
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "redis-auth" and ref["key"] in secret["stringData"], (name, e)
        for v in t["spec"]["volumes"]:
            if "configMap" in v:
                assert v["configMap"]["name"] == "redis-config"
                for item in v["configMap"]["items"]:
                    assert item["key"] in cm, (name, item)
            if "persistentVolumeClaim" in v:
                find("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"])
        for c in t["spec"].get("initContainers", []) + t["spec"]["containers"]:
            cmd = c.get("command", [])
            if cmd and cmd[0].startswith("/scripts/"):
                mounted = [i["path"] for v in t["spec"]["volumes"] if v["name"] == "scripts"
                           for i in v["configMap"]["items"]]
                assert os.path.basename(cmd[0]) in mounted, (name, cmd)


def test_sentinel_config_port_matches_the_container_port():
    cm = find("ConfigMap", "redis-config")["data"]
    assert re.search(r"^port 26379$", cm["sentinel.conf"], re.M)
    assert re.search(r"^port 6379$", cm["redis.conf"], re.M)
    assert "sentinel monitor mymaster $ip $port 2" in cm["init-sentinel.sh"]


def test_compose_services_containers_and_published_ports():
    services = compose()["services"]
    assert sorted(services) == sorted(PORTS)
    for name, svc in services.items():
        assert svc["container_name"] == name
        inner = 26379 if "sentinel" in name else 6379
        assert svc["ports"] == ["%d:%d" % (PORTS[name], inner)], name
        assert svc["environment"]["REDIS_PORT"] == str(inner)
        if name != "redis-master":
            assert svc["environment"]["ANNOUNCE_PORT"] == str(PORTS[name])
            assert svc["environment"]["MASTER_ANNOUNCE_PORT"] == "10007"


def test_compose_has_healthchecks_named_volumes_and_depends_on():
    c = compose()
    for name, svc in c["services"].items():
        assert svc["healthcheck"]["test"] == ["CMD", "/usr/local/bin/healthcheck.sh"], name
        data = [v for v in svc["volumes"] if v.endswith(":/data")]
        assert len(data) == 1 and data[0].split(":")[0] in c["volumes"], name
        if name != "redis-master":
            assert "redis-master" in svc["depends_on"], name


def test_password_is_the_same_everywhere():
    with open(os.path.join(DEPLOY, "redis.env")) as fh:
        env = dict(l.strip().split("=", 1) for l in fh if "=" in l and not l.startswith("#"))
    assert env["REDIS_PASSWORD"] == PASSWORD
    assert all(svc["env_file"] == "redis.env" for svc in compose()["services"].values())
    with open(os.path.join(ROOT, "examples", "local-cluster.sh")) as fh:
        assert "PASSWORD=${REDIS_PASSWORD:-%s}" % PASSWORD in fh.read()
    assert "-a %s" % PASSWORD in walkthrough()


def test_local_cluster_uses_the_compose_ports():
    with open(os.path.join(ROOT, "examples", "local-cluster.sh")) as fh:
        text = fh.read()
    found = dict((n, int(p)) for n, p in re.findall(r"\[(redis-[a-z0-9-]+)\]=(\d+)", text))
    assert found == PORTS


def test_walkthrough_names_only_existing_objects_files_and_ports():
    text = walkthrough()
    deployments = {d["metadata"]["name"] for _, d in k8s_docs() if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"] for _, d in k8s_docs() if d["kind"] == "Service"}
    named = re.findall(r"deployment/([a-z0-9-]+)", text)
    assert set(named) == deployments
    for svc in re.findall(r"svc/([a-z0-9-]+)", text):
        assert svc in services
    for f in re.findall(r"kubectl apply -f (\S+)", text):
        assert os.path.exists(os.path.join(ROOT, f)), f
    assert set(re.findall(r"-n ([a-z-]+)", text)) == {NAMESPACE}
    for container in re.findall(r"(?:docker|podman) (?:exec(?: -it)?|stop|start) (redis-[a-z0-9-]+)", text):
        assert container in PORTS, container
    for port in re.findall(r"redis-cli -p (\d+)", text):
        assert int(port) in PORTS.values(), port


def test_dockerfile_has_build_args_stages_healthcheck_and_user():
    with open(os.path.join(ROOT, "Dockerfile")) as fh:
        text = fh.read()
    assert re.search(r"^ARG BUILD_IMAGE=", text, re.M) and re.search(r"^ARG RUNTIME_IMAGE=", text, re.M)
    assert "FROM ${BUILD_IMAGE} AS build" in text and "FROM ${RUNTIME_IMAGE} AS runtime-base" in text
    stages = re.findall(r"^FROM \S+ AS (\S+)", text, re.M)
    assert stages[-1] == "runtime" and "runtime-prebuilt" in stages
    assert "HEALTHCHECK" in text and re.search(r"^USER redis$", text, re.M)
    assert "--static-swift-stdlib" in text
    for f in ("deploy/docker-entrypoint.sh", "deploy/healthcheck.sh", "deploy/config/redis.conf",
              "deploy/config/sentinel.conf"):
        assert f in text and os.path.exists(os.path.join(ROOT, f))
