#!/usr/bin/env python3
"""meshctl against the kubectl procedure it replaces, on the lab, for N clusters.

For each N: start a lab of N clusters (optionally with WAN latency per
apiserver, --latency, passed to `lab up`); per repetition reset the mesh, run
the seed-faithful baseline (test/bench/baseline.sh), the fair kubectl script
(test/bench/fair.sh) and meshctl, and measure wall time to all
objects written and to every link in sync (read from the Typha stand-ins'
Prometheus gauges, not from either tool), the no-change re-run, `meshctl
status` (and status again once every Typha log holds megabytes, as after days
of running), API requests per tool (from the apiservers' audit logs, by user
agent), meshctl's peak RSS and CPU time, and the CPU time the lab's own
processes spend while meshctl's join runs to in sync (divided by the cores, a
lower bound for that wall time on this machine). Writes results.json, results.md
and (when matplotlib is available) time-vs-n.png into the output directory.
"""
import argparse, json, os, statistics, subprocess, sys, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "test/lab/lab"
NAMES = ["iad", "pdx", "fra", "lon", "syd", "nrt", "gru", "jnb", "sin", "bom", "ord", "cdg"]
TIME = "/usr/bin/time"


def run(cmd, env=None, check=True, capture=True):
    return subprocess.run(cmd, env=env, check=check, text=True,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)


class Lab:
    def __init__(self, n, base_dir, latency="", calico_api=""):
        self.names = NAMES[:n]
        self.dir = Path(base_dir) / f"lab-{n}"
        extra = ["--latency", latency] if latency else []
        extra += ["--calico-api", calico_api] if calico_api else []
        out = subprocess.run([str(LAB), "up", "--clusters", ",".join(self.names), "--dir", str(self.dir), *extra],
                             check=True, text=True, stdout=subprocess.PIPE).stdout  # progress stays on stderr
        self.kubeconfig = out.strip().splitlines()[-1]
        self.env = dict(os.environ, KUBECONFIG=self.kubeconfig, NO_COLOR="1")
        self.state = json.loads((self.dir / "state.json").read_text())

    def processes(self):
        """The /proc directories of every process of this lab (etcd, apiserver,
        controller-manager, Typha stand-ins, fake kubelets): its directory is in
        their command lines."""
        marker = str(self.dir).encode()
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if marker in Path(f"/proc/{pid}/cmdline").read_bytes():
                    yield Path(f"/proc/{pid}")
            except OSError:
                continue

    def cpu_seconds(self):
        """CPU time used so far by every process of this lab."""
        ticks = 0
        for proc in self.processes():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
            except OSError:
                continue
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_kib(self):
        """Resident memory of every process of this lab."""
        total = 0
        for proc in self.processes():
            try:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def down(self):
        run([str(LAB), "down", "--dir", str(self.dir)], check=False)

    def audit_lines(self):
        return {c: sum(1 for _ in open(self.dir / "clusters" / c / "audit.log")) for c in self.names}

    def requests_since(self, marks, agent_prefix):
        # A watch is audited twice (stages ResponseStarted and ResponseComplete):
        # count requests, not lines, by their auditID.
        total = 0
        for c in self.names:
            seen = set()
            with open(self.dir / "clusters" / c / "audit.log") as f:
                for i, line in enumerate(f):
                    if i < marks[c] or f'"userAgent":"{agent_prefix}' not in line:
                        continue
                    seen.add(json.loads(line)["auditID"])
            total += len(seen)
        return total

    def all_in_sync(self):
        """Every replica of every cluster reports gauge 2 for every peer."""
        for c in self.state["clusters"]:
            peers = [n for n in self.names if n != c["name"]]
            for port in c["metricsPorts"]:
                try:
                    text = urllib.request.urlopen(f"http://{c['nodeIP']}:{port}/metrics", timeout=2).read().decode()
                except OSError:
                    return False
                gauges = {}
                for line in text.splitlines():
                    if line.startswith("remote_cluster_connection_status{"):
                        name = line.split('remote_cluster_name="')[1].split('"')[0]
                        gauges[name] = float(line.rsplit(" ", 1)[1])
                if any(gauges.get(p) != 2 for p in peers):
                    return False
        return True

    def wait_in_sync(self, start, limit=180):
        while time.monotonic() - start < limit:
            if self.all_in_sync():
                return time.monotonic() - start
            time.sleep(0.05)
        raise RuntimeError(f"lab-{len(self.names)}: links not in sync within {limit}s")

    def reset(self):
        """Removes every mesh object either tool made, with kubectl."""
        for c in self.names:
            kc = ["kubectl", "--context", c]
            run(kc + ["delete", "remoteclusterconfigurations.projectcalico.org", "--all", "--wait=true"], env=self.env)
            others = [f"remote-cluster-{r}" for r in self.names if r != c]
            run(kc + ["delete", "-n", "calico-system", "--ignore-not-found", "secret", *others,
                      "tigera-federation-remote-cluster"], env=self.env)
            roles = [f"remote-cluster-secret-access-{r}" for r in self.names if r != c]
            run(kc + ["delete", "-n", "calico-system", "--ignore-not-found", "role,rolebinding", *roles], env=self.env)
            run(kc + ["delete", "--ignore-not-found", "clusterrole,clusterrolebinding", "tigera-federation-remote-cluster",
                      "tigera-federation-remote-cluster-v3"], env=self.env)
            run(kc + ["delete", "-n", "calico-system", "--ignore-not-found", "serviceaccount",
                      "tigera-federation-remote-cluster"], env=self.env)
        deadline = time.monotonic() + 60
        while self.all_in_sync_any() and time.monotonic() < deadline:
            time.sleep(0.2)

    def fill_typha_logs(self, lines):
        """Has every cluster's Typha stand-in write `lines` chatter lines now
        (`lab typha-chatter`); returns the first cluster's Typha log size in MB."""
        procs = [subprocess.Popen([str(LAB), "typha-chatter", "--dir", str(self.dir), "--cluster", c,
                                   "--lines", str(lines)], env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for c in self.names]
        for p in procs:
            if p.wait() != 0:
                raise RuntimeError("lab typha-chatter failed")
        log = run(["kubectl", "--context", self.names[0], "-n", "calico-system", "logs", "deploy/calico-typha"],
                  env=self.env).stdout
        return len(log.encode()) / 1e6

    def all_in_sync_any(self):
        for c in self.state["clusters"]:
            for port in c["metricsPorts"]:
                try:
                    text = urllib.request.urlopen(f"http://{c['nodeIP']}:{port}/metrics", timeout=2).read().decode()
                except OSError:
                    continue
                if any(l.startswith("remote_cluster_connection_status{") for l in text.splitlines()):
                    return True
        return False


def timed_meshctl(meshctl, args, env):
    """Runs meshctl under GNU time; returns (wall seconds, peak RSS KiB, CPU seconds, exit code)."""
    start = time.monotonic()
    p = subprocess.run([TIME, "-f", "%M %U %S", meshctl, *args], env=env, text=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    rss, user, sys_ = p.stderr.strip().splitlines()[-1].split()
    return wall, int(rss), float(user) + float(sys_), p.returncode


def minimum_requests(n):
    # What a fresh join that refuses before writing cannot avoid (issue 17).
    # Per cluster, writes: ServiceAccount, two ClusterRoles, two
    # ClusterRoleBindings, the token Secret, and one read (a watch) of the
    # filled token: 7. Per cluster, the reads its checks need: one access
    # review (permissions); the federation account and the labelled Secrets,
    # Roles, RoleBindings and RCCs (what exists, so nothing another tool made
    # is overwritten): 5; namespaces; API discovery; LicenseKey;
    # ClusterInformation (versions); IPPools; FelixConfiguration; Nodes;
    # service ranges: 8. That is 7 + 1 + 5 + 8 = 21 per cluster. Per directed
    # link: Secret, Role, RoleBinding, RCC: 4. The kubectl scripts skip the
    # checks (and so come under it).
    return 21 * n + 4 * n * (n - 1)


def bare_minimum_requests(n):
    # The writes and the token read alone, with no check at all.
    return 7 * n + 4 * n * (n - 1)


def timed_script(lab, name):
    """Runs a kubectl script; returns (objects written s, every link in sync s, requests)."""
    lab.reset()
    marks = lab.audit_lines()
    start = time.monotonic()
    run([str(ROOT / "test/bench" / name), *lab.names], env=lab.env)
    written = time.monotonic() - start
    in_sync = lab.wait_in_sync(start)
    return written, in_sync, lab.requests_since(marks, "kubectl/")


NOT_RUN = (float("nan"), float("nan"), float("nan"))


# Chatter lines that bring a fresh lab's Typha log to about 6 MB: a Typha that
# has run for days, within the kubelet's default rotation size of 10 MiB.
FULL_LOG_LINES = 40000


def bench_size(n, reps, meshctl, base_dir, latency="", yardsticks=("baseline", "fair"), calico_api=""):
    lab_start = time.monotonic()
    lab = Lab(n, base_dir, latency, calico_api)
    lab_up_s = time.monotonic() - lab_start
    lab_rss_mib = lab.rss_kib() / 1024
    rows = []
    try:
        for rep in range(reps):
            base_written, base_sync, base_requests = (
                timed_script(lab, "baseline.sh") if "baseline" in yardsticks else NOT_RUN)
            fair_written, fair_sync, fair_requests = (
                timed_script(lab, "fair.sh") if "fair" in yardsticks else NOT_RUN)

            lab.reset()
            marks = lab.audit_lines()
            lab_cpu_before = lab.cpu_seconds()
            start = time.monotonic()
            wall, rss, cpu, rc = timed_meshctl(meshctl, ["join", *lab.names, "--no-wait", "--allow-loopback-servers"], lab.env)
            if rc != 0:
                raise RuntimeError(f"meshctl join exited {rc}")
            mesh_sync = lab.wait_in_sync(start)
            lab_cpu = lab.cpu_seconds() - lab_cpu_before
            mesh_requests = lab.requests_since(marks, "meshctl/")
            marks = lab.audit_lines()
            rerun_wall, rerun_rss, rerun_cpu, rc = timed_meshctl(
                meshctl, ["join", *lab.names, "--allow-loopback-servers"], lab.env)
            rerun_requests = lab.requests_since(marks, "meshctl/")
            status_wall, status_rss, status_cpu, status_rc = timed_meshctl(meshctl, ["status", *lab.names], lab.env)
            rows.append(dict(n=n, rep=rep, baseline_written_s=base_written, baseline_sync_s=base_sync,
                             baseline_requests=base_requests, fair_written_s=fair_written, fair_sync_s=fair_sync,
                             fair_requests=fair_requests, meshctl_written_s=wall, meshctl_sync_s=mesh_sync,
                             meshctl_requests=mesh_requests, meshctl_rss_kib=max(rss, rerun_rss, status_rss),
                             meshctl_cpu_s=cpu, rerun_s=rerun_wall, rerun_requests=rerun_requests,
                             status_s=status_wall, status_exit=status_rc, min_requests=minimum_requests(n), bare_min_requests=bare_minimum_requests(n),
                             lab_cpu_s=lab_cpu, lab_cpu_bound_s=lab_cpu / os.cpu_count(),
                             lab_up_s=lab_up_s, lab_rss_mib=lab_rss_mib))
            print(f"bench: n={n} rep={rep}: baseline {base_sync:.2f}s, fair {fair_sync:.2f}s, meshctl {mesh_sync:.2f}s, "
                  f"status {status_wall:.2f}s", file=sys.stderr)
        # status reads each Typha replica's log since its container started:
        # in a cluster that has run for days, up to the kubelet's rotation
        # size (10 MiB). The same status again with every log filled.
        log_mb = lab.fill_typha_logs(FULL_LOG_LINES)
        for row in rows:
            wall, rss, _, rc = timed_meshctl(meshctl, ["status", *lab.names], lab.env)
            row.update(status_full_logs_s=wall, status_full_logs_exit=rc, typha_log_mb=log_mb,
                       meshctl_rss_kib=max(row["meshctl_rss_kib"], rss))
            print(f"bench: n={n}: status with {log_mb:.1f} MB Typha logs {wall:.2f}s, {rss / 1024:.1f} MiB",
                  file=sys.stderr)
    finally:
        lab.down()
    return rows


def summarize(rows):
    out = {}
    for n in sorted({r["n"] for r in rows}):
        rs = [r for r in rows if r["n"] == n]
        s = {}
        for key in rs[0]:
            if key in ("n", "rep"):
                continue
            values = [r[key] for r in rs]
            s[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
        out[n] = s
    return out


def ratio(a, b):
    return a / b if b and a == a and b == b else float("nan")  # nan: a yardstick not run


def markdown(summary, machine, latency=""):
    def cell(s, key, fmt="{:.2f}"):
        v = s[key]
        if v["median"] != v["median"]:
            return "not run"
        return f"{fmt.format(v['median'])} ({fmt.format(v['min'])}–{fmt.format(v['max'])})"
    where = f"lab latency (one-way) {latency}" if latency else "loopback, no added latency"
    lines = [f"Measured on {machine}; {where}; median (min–max) of the repetitions.", "",
             "| N | baseline join to in sync (s) | fair script join to in sync (s) | meshctl join to in sync (s) | speed-up vs baseline | speed-up vs fair | baseline objects written (s) | fair objects written (s) | meshctl objects written (s) | no-change re-run (s) | status (s) | status, Typha logs full (s) | requests baseline / fair / meshctl / minimum | meshctl peak RSS (MiB) | meshctl CPU (s) | lab CPU during meshctl join (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, s in summary.items():
        speedup = ratio(s["baseline_sync_s"]["median"], s["meshctl_sync_s"]["median"])
        speedup_fair = ratio(s["fair_sync_s"]["median"], s["meshctl_sync_s"]["median"])
        lines.append(
            f"| {n} | {cell(s, 'baseline_sync_s')} | {cell(s, 'fair_sync_s')} | {cell(s, 'meshctl_sync_s')} | "
            f"{speedup:.1f}× | {speedup_fair:.1f}× | "
            f"{cell(s, 'baseline_written_s')} | {cell(s, 'fair_written_s')} | {cell(s, 'meshctl_written_s')} | "
            f"{cell(s, 'rerun_s')} | {cell(s, 'status_s')} | {cell(s, 'status_full_logs_s')} | "
            f"{s['baseline_requests']['median']:.0f} / "
            f"{s['fair_requests']['median']:.0f} / {s['meshctl_requests']['median']:.0f} / "
            f"{s['min_requests']['median']:.0f} | {s['meshctl_rss_kib']['median'] / 1024:.1f} | "
            f"{cell(s, 'meshctl_cpu_s')} | {cell(s, 'lab_cpu_s')} |")
    lines += ["", "Status, Typha logs full: every Typha log filled to " + "; ".join(
        f"{s['typha_log_mb']['median']:.1f} MB (N={n})" for n, s in summary.items()) +
        " with the stand-in's chatter before status; peak RSS includes it.", ""]
    lines += ["Lab size: " + "; ".join(
        f"N={n}: up in {s['lab_up_s']['median']:.1f} s, {s['lab_rss_mib']['median']:.0f} MiB resident"
        for n, s in summary.items()) + ".", ""]
    lines += targets(summary, latency)
    return "\n".join(lines) + "\n"


def one_way_max_s(latency):
    """The largest one-way delay in a --latency value, in seconds."""
    worst = 0.0
    for part in filter(None, latency.split(",")):
        value = part.split("=")[-1].strip()
        if value.endswith("ms"):
            worst = max(worst, float(value[:-2]) / 1000)
        elif value.endswith("s"):
            worst = max(worst, float(value[:-1]))
    return worst


# Sequential round trips on a fresh join's critical path that no tool can
# avoid (issue 17): one to set up the connection (TLS 1.3; the lab's front
# accepts TCP locally, so TCP's own handshake costs nothing here), one for the
# checks, one for the ServiceAccount and RBAC, one for the token Secret (after
# the account, or the token controller deletes it), one for the token watch,
# one for a link's Secret and RBAC and one for its RCC (after them).
MINIMAL_CHAIN = 7


def targets(summary, latency):
    """The issue-17 targets that this run can judge, beside what was measured."""
    wan = bool(latency)
    rows = ["| target (issue 17) | measured | |", "|---|---|---|"]

    def verdict(ok):
        return "met" if ok else "**missed**"
    for n, s in summary.items():
        fair = ratio(s["fair_sync_s"]["median"], s["meshctl_sync_s"]["median"])
        if fair == fair:
            want = 10 if wan else 5
            rows.append(f"| N={n}: join at least {want}× faster than the fair script | {fair:.1f}× | "
                        f"{verdict(fair >= want) if n == 4 else 'stated for N=4'} |")
        req = ratio(s["meshctl_requests"]["median"], s["min_requests"]["median"])
        rows.append(f"| N={n}: requests within 1.3× of the minimum ({s['min_requests']['median']:.0f}) | "
                    f"{req:.2f}× ({s['meshctl_requests']['median']:.0f}) | "
                    f"{verdict(req <= 1.3) if n >= 3 else 'stated from N=3'} |")
        limit = 2.0 if wan else 1.0
        for key, what in (("status_s", "status"), ("rerun_s", "no-change re-run")):
            rows.append(f"| N={n}: {what} under {limit:.0f} s | {s[key]['median']:.2f} s | "
                        f"{verdict(s[key]['median'] < limit) if n >= 10 else 'stated for N=10'} |")
        rss = s["meshctl_rss_kib"]["median"] / 1024
        rows.append(f"| N={n}: peak RSS under 30 MB | {rss:.1f} MiB | {verdict(rss * 1.048576 < 30)} |")
        if wan:
            rtt = 2 * one_way_max_s(latency)
            chain = MINIMAL_CHAIN * rtt
            rows.append(f"| N={n}: join within 1.5× of {MINIMAL_CHAIN} round trips × {rtt * 1000:.0f} ms + token "
                        f"delay | {s['meshctl_written_s']['median']:.2f} s written, chain {chain:.2f} s + the "
                        f"token delay (the loopback table's join bounds it) | judged in docs/benchmarks.md |")
    ns = sorted(summary)
    if 3 in summary and ns[-1] >= 10:
        growth = ratio(summary[ns[-1]]["meshctl_sync_s"]["median"], summary[3]["meshctl_sync_s"]["median"])
        rows.append(f"| t(N={ns[-1]}) / t(N=3) at most 1.3 | {growth:.2f} | {verdict(growth <= 1.3)} |")
    return rows


def plot(summary, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib not installed; no plot", file=sys.stderr)
        return
    ns = list(summary)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ns, [summary[n]["baseline_sync_s"]["median"] for n in ns], "o-", label="kubectl procedure (seed-faithful)")
    ax.plot(ns, [summary[n]["fair_sync_s"]["median"] for n in ns], "o-", label="kubectl, fair script")
    ax.plot(ns, [summary[n]["meshctl_sync_s"]["median"] for n in ns], "o-", label="meshctl join")
    ax.set_xlabel("clusters (N)")
    ax.set_ylabel("seconds to every link in sync")
    ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def without_nan(value):
    """JSON has no NaN: a yardstick that was not run is null."""
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nan(v) for v in value]
    return None if isinstance(value, float) and value != value else value


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="2,3,4,6")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--meshctl", default=str(ROOT / "build/meshctl"))
    ap.add_argument("--out", default=str(ROOT / "build/bench"))
    ap.add_argument("--yardsticks", default="baseline,fair",
                    help="which kubectl scripts to run beside meshctl (baseline.sh takes minutes from N=8)")
    ap.add_argument("--latency", default="", help="one-way delay per apiserver, passed to `lab up --latency` "
                    "(e.g. iad=0ms,pdx=35ms,fra=45ms; a bare value applies to every cluster not named)")
    ap.add_argument("--calico-api", default="",
                    help="the lab's Calico API shape, passed to `lab up --calico-api` (legacy|apiserver|v3crd; "
                         "default: the lab's, legacy)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        rows += bench_size(n, args.reps, args.meshctl, out, args.latency,
                           tuple(filter(None, args.yardsticks.split(","))), args.calico_api)
    summary = summarize(rows)
    machine = f"{os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, {os.uname().sysname} {os.uname().release}"
    (out / "results.json").write_text(json.dumps(without_nan({"machine": machine, "latency": args.latency,
                                                              "calicoApi": args.calico_api or "legacy",
                                                              "rows": rows, "summary": summary}), indent=2))
    (out / "results.md").write_text(markdown(summary, machine, args.latency))
    plot(summary, out / "time-vs-n.png")
    print(markdown(summary, machine, args.latency))


if __name__ == "__main__":
    main()
