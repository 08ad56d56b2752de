#!/usr/bin/env python3
"""Writes N Kubernetes manifests for the lint benchmark: OUT/NNNN.yaml.

Each file is what a Go service's repository ships: a Deployment (or a
StatefulSet, a DaemonSet, a CronJob, a Job) and a Service, 60 to 120 lines,
with the settings real manifests vary in -- some hardened (non-root,
read-only root, capabilities dropped, seccomp), some not (root, privileged,
hostPath, no resources, tags instead of digests) -- so every checker has
work to do. Deterministic: file i is the same on every run.

    python3 bench/gen_manifests.py OUT 1000
"""
import os
import random
import sys

KINDS = ["Deployment"] * 6 + ["StatefulSet", "DaemonSet", "CronJob", "Job"]


def container(r, name, i):
    digest = "%064x" % r.getrandbits(256)
    image = r.choice([
        f"registry.example.com/team/{name}@sha256:{digest}",
        f"registry.example.com/team/{name}:v1.{i % 40}.{i % 7}",
        f"{name}:latest",
        f"docker.io/library/{name}",
    ])
    hardened = r.random() < 0.5
    lines = [
        f"        - name: {name}",
        f"          image: {image}",
        f"          imagePullPolicy: {r.choice(['IfNotPresent', 'Always'])}",
        "          args:",
        f"            - --addr=:{8000 + i % 100}",
        "            - --log-format=json",
        "          ports:",
        f"            - containerPort: {8000 + i % 100}",
        "              name: http",
        "          env:",
        "            - name: GOMAXPROCS",
        "              valueFrom:",
        "                resourceFieldRef:",
        "                  resource: limits.cpu",
        "            - name: LOG_LEVEL",
        f"              value: {r.choice(['info', 'debug', 'warn'])}",
    ]
    if hardened:
        lines += [
            "          securityContext:",
            "            allowPrivilegeEscalation: false",
            "            readOnlyRootFilesystem: true",
            "            runAsNonRoot: true",
            "            runAsUser: 65532",
            "            capabilities:",
            "              drop: [ALL]",
        ]
    elif r.random() < 0.5:
        lines += [
            "          securityContext:",
            f"            privileged: {r.choice(['true', 'false'])}",
            "            capabilities:",
            "              add: [NET_ADMIN, SYS_TIME]",
        ]
    if r.random() < 0.7:
        lines += [
            "          resources:",
            "            requests:",
            "              cpu: 100m",
            "              memory: 64Mi",
            "            limits:",
            "              memory: 128Mi",
        ]
    if r.random() < 0.6:
        probe = r.choice([
            ["httpGet:", "  path: /healthz", "  port: http"],
            ["tcpSocket:", "  port: http"],
            ["exec:", "  command: [sh, -c, 'wget -q -O- localhost:8080/healthz']"],
        ])
        for kind in ["readinessProbe", "livenessProbe"]:
            lines.append(f"          {kind}:")
            lines += [f"            {p}" for p in probe]
            lines.append("            periodSeconds: 10")
    lines += [
        "          volumeMounts:",
        "            - name: config",
        "              mountPath: /etc/app",
        "              readOnly: true",
    ]
    return lines


def pod_spec(r, name, i, indent):
    lines = []
    if r.random() < 0.3:
        lines += ["hostNetwork: true"]
    if r.random() < 0.5:
        lines += ["automountServiceAccountToken: false"]
    if r.random() < 0.5:
        lines += [
            "securityContext:",
            "  runAsNonRoot: true",
            "  seccompProfile:",
            "    type: RuntimeDefault",
        ]
    lines += ["containers:"]
    body = [l[6:] for l in container(r, name, i)]
    lines += body
    lines += ["volumes:", "  - name: config", "    configMap:", f"      name: {name}-config"]
    if r.random() < 0.2:
        lines += ["  - name: host", "    hostPath:", "      path: /var/run/docker.sock"]
    return [" " * indent + l for l in lines]


def manifest(i):
    r = random.Random(i)
    name = f"svc{i:04d}"
    kind = r.choice(KINDS)
    meta = [
        "metadata:",
        f"  name: {name}",
        f"  namespace: team{i % 12}",
        "  labels:",
        f"    app.kubernetes.io/name: {name}",
        "    app.kubernetes.io/part-of: shop",
    ]
    labels = [f"app.kubernetes.io/name: {name}"]
    if kind == "CronJob":
        head = ["apiVersion: batch/v1", "kind: CronJob"] + meta + [
            "spec:",
            f"  schedule: \"*/{1 + i % 30} * * * *\"",
            "  jobTemplate:",
            "    spec:",
            "      template:",
            "        metadata:",
            "          labels:",
            f"            {labels[0]}",
            "        spec:",
            "          restartPolicy: OnFailure",
        ]
        spec = pod_spec(r, name, i, 10)
    elif kind == "Job":
        head = ["apiVersion: batch/v1", "kind: Job"] + meta + [
            "spec:",
            "  backoffLimit: 3",
            "  template:",
            "    metadata:",
            "      labels:",
            f"        {labels[0]}",
            "    spec:",
            "      restartPolicy: Never",
        ]
        spec = pod_spec(r, name, i, 6)
    else:
        head = ["apiVersion: apps/v1", f"kind: {kind}"] + meta + ["spec:"]
        if kind != "DaemonSet":
            head.append(f"  replicas: {1 + i % 4}")
        if kind == "StatefulSet":
            head.append(f"  serviceName: {name}")
        head += [
            "  selector:",
            "    matchLabels:",
            f"      {labels[0]}",
            "  template:",
            "    metadata:",
            "      labels:",
            f"        {labels[0]}",
            "    spec:",
        ]
        spec = pod_spec(r, name, i, 6)
    service = [
        "---",
        "apiVersion: v1",
        "kind: Service",
    ] + meta + [
        "spec:",
        "  selector:",
        f"    {labels[0]}",
        "  ports:",
        "    - name: http",
        "      port: 80",
        "      targetPort: http",
    ]
    return "\n".join(head + spec + service) + "\n"


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        with open(os.path.join(out, f"{i:04d}.yaml"), "w") as f:
            f.write(manifest(i))


if __name__ == "__main__":
    main()
