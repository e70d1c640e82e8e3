#!/usr/bin/env python3
"""render.py: deploy/kubernetes made playable by `podman kube play` for the test.

    render.py <kustomization dir> <out.yaml> --relay-image I --nginx-image I \
        --secret-name NAME --secret-out FILE \
        --set-env NAME=VALUE ... --set-secret NAME=VALUE ...

The documents are what `kubectl kustomize` renders when kubectl is there;
otherwise the files kustomization.yaml lists, read in its order (this tree's
kustomization only lists resources, image tags and a label, which are
applied the same way). Then only the test's settings are substituted: the
two image names, ConfigMap values, one replica and host networking (the
fake upstream listens on the host's loopback). Kinds podman does not run
(Service, PodDisruptionBudget, HorizontalPodAutoscaler) are checked for their
references and left out of the played file.

The kustomization ships no Secret (a placeholder must never reach a
cluster): the operator creates it, and so does the test. The Deployment must
read the Secret named --secret-name; its data, the --set-secret values, goes
to --secret-out for `podman secret create` (podman 4.3 plays no kind Secret),
as `kubectl create secret generic NAME --from-literal=...` would make it.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys

import yaml

PLAYED = ("ConfigMap", "Deployment")


def kustomize(directory):
    if shutil.which("kubectl"):
        r = subprocess.run(["kubectl", "kustomize", directory], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        if r.returncode == 0:
            print("render.py: documents from kubectl kustomize %s" % directory, file=sys.stderr)
            return [d for d in yaml.safe_load_all(r.stdout) if d]
        print("render.py: kubectl kustomize failed (%s); assembling the files"
              % r.stderr.decode(errors="replace").strip(), file=sys.stderr)
    with open(os.path.join(directory, "kustomization.yaml")) as f:
        kz = yaml.safe_load(f)
    unknown = set(kz) - {"apiVersion", "kind", "resources", "images", "labels"}
    if unknown:
        sys.exit("render.py: kustomization.yaml uses %s; install kubectl" % sorted(unknown))
    docs = []
    for res in kz.get("resources", []):
        with open(os.path.join(directory, res)) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    tags = {i["name"]: i for i in kz.get("images", [])}
    labels = {}
    for entry in kz.get("labels", []):
        labels.update(entry.get("pairs", {}))
    for d in docs:
        d.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        for c in containers(d):
            img = tags.get(c["image"])
            if img:
                c["image"] = "%s:%s" % (img.get("newName", c["image"]), img["newTag"])
    print("render.py: documents assembled from %s/kustomization.yaml" % directory,
          file=sys.stderr)
    return docs


def containers(doc):
    if doc.get("kind") != "Deployment":
        return []
    return doc["spec"]["template"]["spec"]["containers"]


def check_references(docs, secret_name):
    """The Service, PDB and HPA point at what the Deployment defines; the
    Deployment reads the operator's Secret, which the kustomization leaves out."""
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    assert "Secret" not in by_kind, (
        "the kustomization applies a Secret (%s): its example values would reach the cluster"
        % ", ".join(d["metadata"]["name"] for d in by_kind["Secret"]))
    (dep,) = by_kind["Deployment"]
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]
    ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
    for svc in by_kind.get("Service", []):
        sel = svc["spec"]["selector"]
        assert all(labels.get(k) == v for k, v in sel.items()), "Service selector %r" % sel
        for p in svc["spec"]["ports"]:
            assert p["targetPort"] in ports, "Service targetPort %r" % p["targetPort"]
    for pdb in by_kind.get("PodDisruptionBudget", []):
        sel = pdb["spec"]["selector"]["matchLabels"]
        assert all(labels.get(k) == v for k, v in sel.items()), "PDB selector %r" % sel
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        ref = hpa["spec"]["scaleTargetRef"]
        assert (ref["kind"], ref["name"]) == ("Deployment", dep["metadata"]["name"]), ref
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for c in pod["spec"]["containers"]:
        assert c.get("resources", {}).get("limits", {}).get("memory"), c["name"]
        for src in c.get("envFrom", []):
            if "configMapRef" in src:
                assert ("ConfigMap", src["configMapRef"]["name"]) in names, src
            if "secretRef" in src:
                assert src["secretRef"]["name"] == secret_name, src
    print("render.py: checked %s" % ", ".join("%s/%s" % n for n in sorted(names)),
          file=sys.stderr)


def pairs(items):
    out = {}
    for item in items or []:
        name, _, value = item.partition("=")
        out[name] = value
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("directory")
    ap.add_argument("out")
    ap.add_argument("--relay-image", required=True)
    ap.add_argument("--nginx-image", required=True)
    ap.add_argument("--set-env", action="append")
    ap.add_argument("--set-secret", action="append")
    ap.add_argument("--unset-secret", action="append", default=[],
                    help="a key left out of the Secret (the bad-input check)")
    ap.add_argument("--secret-name", required=True,
                    help="the Secret the operator creates; the Deployment must read it")
    ap.add_argument("--secret-out", required=True,
                    help="the Secret's data (base64) for `podman secret create`")
    args = ap.parse_args()
    docs = kustomize(args.directory)
    check_references(docs, args.secret_name)
    env, secret = pairs(args.set_env), pairs(args.set_secret)
    for k in args.unset_secret:
        secret.pop(k, None)
    # podman 4.3 does not play kind Secret: envFrom.secretRef reads a podman
    # secret holding the Secret's data as JSON, {"KEY": "<base64>"}.
    with open(args.secret_out, "w") as f:
        json.dump({k: base64.b64encode(v.encode()).decode() for k, v in secret.items()}, f)
    played = []
    for d in docs:
        kind = d["kind"]
        if kind == "ConfigMap":
            d["data"].update(env)
        elif kind == "Deployment":
            d["spec"]["replicas"] = 1
            d["spec"]["template"]["spec"]["hostNetwork"] = True
            for c in containers(d):
                # With host networking there is nothing to map (podman
                # refuses port mappings then): the ports are the host's.
                c.pop("ports", None)
                base = c["image"].split(":")[0]
                c["image"] = {"securex-relay": args.relay_image,
                              "securex-relay-nginx": args.nginx_image}[base]
        if kind in PLAYED:
            played.append(d)
    played.sort(key=lambda d: PLAYED.index(d["kind"]))  # the ConfigMap before the pod
    with open(args.out, "w") as f:
        yaml.safe_dump_all(played, f, sort_keys=False)


if __name__ == "__main__":
    main()
