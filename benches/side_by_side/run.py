"""Side-by-side benchmark driver (run through benches/side_by_side.sh).

Starts one `mesos-local --simulate` per stream framing, then runs every client on every
workload, interleaved (repetition, framing, workload, client), each client in its own
process, and prints a Markdown table: rate (ops/s), client CPU per op, peak RSS of the
client process, the ratios to pymesos, and mesos-local's CPU per op during the run. An op
is an update delivered to the framework or an acknowledgement it sent. Medians over the
repetitions (peak RSS: the maximum). A benchmark: it fails only when a client fails.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_NAMES = {"c": "libmesos_sched from C", "binding": "Python binding",
                "pymesos": "pymesos", "raw": "raw Python HTTP client, pipelined"}


def start_master(binary, framing):
    process = subprocess.Popen(
        [binary, "--port", "0", "--simulate=0", "--agents", "1", "--log-level", "warn",
         "--resources", "cpus:1000000;mem:100000000;disk:1000", "--framing", framing],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    prefix = "mesos-local: listening on "
    if not line.startswith(prefix):
        process.kill()
        raise SystemExit("mesos-local did not start: %r" % line)
    return process, line[len(prefix):]


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def run_client(args, client, url, workload, n):
    if client == "c":
        command = [args.c_client, url, workload, str(n)]
    else:
        command = [args.python, os.path.join(HERE, "clients.py"), client, url, workload, str(n)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit("%s %s failed (%d):\n%s%s" % (client, workload, process.returncode, out, err))
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024.0
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesos-local", required=True)
    parser.add_argument("--c-client", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--reconcile-n", type=int, default=50000)
    parser.add_argument("--launch-n", type=int, default=20000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--clients", default="c,binding,pymesos,raw")
    parser.add_argument("--framings", default="batched,per-event")
    args = parser.parse_args()
    clients = args.clients.split(",")
    framings = args.framings.split(",")
    workloads = [("reconcile", args.reconcile_n), ("launch", args.launch_n)]
    ticks = os.sysconf("SC_CLK_TCK")
    masters = {f: start_master(args.mesos_local, f) for f in framings}
    results = {}
    try:
        for rep in range(args.repetitions):
            for framing in framings:
                master, url = masters[framing]
                for workload, n in workloads:
                    for client in clients:
                        before = cpu_ticks(master.pid)
                        result = run_client(args, client, url, workload, n)
                        # The master finishes the teardown after the client exits.
                        time.sleep(0.2)
                        result["server_cpu"] = (cpu_ticks(master.pid) - before) / ticks
                        results.setdefault((framing, workload, client), []).append(result)
                        print("rep %d %s %s %s: %d ops in %.2f s" % (
                            rep + 1, framing, workload, client, result["ops"],
                            result["seconds"]), file=sys.stderr, flush=True)
    finally:
        for master, _ in masters.values():
            master.terminate()
            master.wait()

    def summary(runs):
        return {
            "rate": statistics.median(r["ops"] / r["seconds"] for r in runs),
            "cpu_us": statistics.median(r["cpu_seconds"] / r["ops"] * 1e6 for r in runs),
            "rss": max(r["peak_rss_mb"] for r in runs),
            "server_us": statistics.median(r["server_cpu"] / r["ops"] * 1e6 for r in runs),
        }

    print("| framing | workload | client | rate (ops/s) | client CPU/op | peak RSS | "
          "rate vs pymesos | CPU/op vs pymesos | mesos-local CPU/op |")
    print("|---|---|---|---|---|---|---|---|---|")
    for framing in framings:
        for workload, n in workloads:
            rows = {c: summary(results[(framing, workload, c)]) for c in clients}
            base = rows.get("pymesos")
            for client in clients:
                row = rows[client]
                rate_ratio = "%.2fx" % (row["rate"] / base["rate"]) if base else "-"
                cpu_ratio = "%.2fx" % (row["cpu_us"] / base["cpu_us"]) if base else "-"
                print("| %s | %s %d | %s | %.0f | %.1f us | %.1f MB | %s | %s | %.1f us |" % (
                    framing, workload, n, CLIENT_NAMES[client], row["rate"], row["cpu_us"],
                    row["rss"], rate_ratio, cpu_ratio, row["server_us"]))


if __name__ == "__main__":
    main()
